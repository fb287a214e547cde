import { QueueEvents, type ConnectionOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { newId } from '../subgraphs/lib/ids';
import { IDENTITY_HEADER, bindingFor, signIdentity, type Role } from '../subgraphs/lib/identity';
import { internalClient, type InternalCall } from '../subgraphs/lib/internal-client';
import { QUEUES, inventoryCommandsQueue, inventoryJobId, openQueue } from '../subgraphs/lib/queues';
import { addJob } from './support/queues';
import { createRedis } from '../subgraphs/lib/redis';
import { createReservationEffects } from '../subgraphs/products/reservation-effects';
import { startProductsWorker } from '../subgraphs/products/worker';
import { postGraphQL, startStack, type TestStack } from './support/stack';

const RESERVE = `mutation Reserve($input: ReserveStockInput!) {
  reserveStock(input: $input) { id status expiresAt lines { productId name sku unitPriceCents currency quantity } }
}`;
const RELEASE = `mutation Release($id: ID!) { releaseReservation(reservationId: $id) { id status } }`;
const COMMIT = `mutation Commit($id: ID!) { commitReservation(reservationId: $id) { id status lines { productId quantity } } }`;

interface Reservation {
  id: string;
  status: string;
  expiresAt: string;
  lines: Array<{ productId: string; name: string; sku: string; unitPriceCents: number; currency: string; quantity: number }>;
}

describe('stock reservations for checkout never oversell', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startProductsWorker>>;
  let payments: InternalCall;
  let redis: Redis;
  let inventoryQueue: Queue;
  let inventoryEvents: QueueEvents;

  beforeAll(async () => {
    stack = await startStack();
    worker = await startProductsWorker({ ...stack.config, port: 0 });
    payments = internalClient({ url: stack.products.url!, target: 'products', service: 'payments', internalSecret: stack.config.internalSecret, timeoutMs: 20_000 });
    redis = createRedis(stack.config.redisUrl);
    const deps = { connection: redis as unknown as ConnectionOptions, prefix: stack.config.queuePrefix };
    inventoryQueue = openQueue(inventoryCommandsQueue, deps).queue;
    inventoryEvents = new QueueEvents(QUEUES.inventory, { connection: { url: stack.config.redisUrl }, prefix: stack.config.queuePrefix });
    await inventoryEvents.waitUntilReady();
  });
  afterAll(async () => {
    await inventoryEvents?.close();
    await inventoryQueue?.close();
    await worker?.stop();
    await stack?.stop();
    redis?.disconnect();
  });

  async function aProduct(onHand: number, overrides: Record<string, unknown> = {}) {
    const id = newId('product');
    await stack.products.deps.products.create({ _id: id, sku: `SKU-${id.slice(-10)}`, name: `Lamp ${id.slice(-4)}`, priceCents: 2500, currency: 'EUR', onHand, ...overrides });
    return id;
  }
  /** The product's stock now. */
  const stockOf = async (id: string) => {
    const s = (await stack.products.deps.stock.current(id))!;
    return { onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved };
  };
  const productDoc = async (id: string) => (await stack.products.deps.products.findById(id).lean())!;
  const reservationDoc = async (id: string) => (await stack.products.deps.reservations.findById(id).lean())!;
  const movementsOf = async (reservationId: string) =>
    (await stack.products.deps.movements.find({ reservationId }).lean()).map((m) => `${m.kind} ${m.productId}`).sort();
  /** A reservation as reserveStock would have stored it, written directly to stand for a crash. */
  async function storedReservation(id: string, lines: Array<{ productId: string; quantity: number }>, state: Record<string, unknown>) {
    const snapshot = lines.map((l) => ({ ...l, name: 'Lamp', sku: 'SKU', unitPriceCents: 2500, currency: 'EUR' }));
    await stack.products.deps.reservations.create({ _id: id, lines: snapshot, expiresAt: new Date(Date.now() + 600_000), ...state });
  }
  /** The product write of a hold, done directly: the process "crashed" right after it. */
  const holdDirectly = (productId: string, key: string, qty: number) =>
    stack.products.deps.products.updateOne({ _id: productId }, { $inc: { reserved: qty, available: -qty }, $push: { holds: { k: key, t: 'crashed-writer' } } });
  const restock = (id: string, units: number) => stack.products.deps.catalog.adjustStock(id, units, 'restock', 'test-admin');
  const reserve = (input: Record<string, unknown>) => payments<{ reserveStock: Reservation }>(RESERVE, { input }).then((d) => d.reserveStock);
  const commit = (id: string) => payments<{ commitReservation: Reservation }>(COMMIT, { id }).then((d) => d.commitReservation);
  const release = (id: string) => payments<{ releaseReservation: Reservation | null }>(RELEASE, { id }).then((d) => d.releaseReservation);
  /** What the `restock` inventory command does for a cancelled order. */
  const restockSold = (id: string) => stack.products.deps.inventory.restock(id).then((r) => r && { ...r, status: r.publicStatus });
  const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('expected an error'); }, (err: { code: string; details: Record<string, unknown> }) => err);

  async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await read();
      if (done(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('lets exactly 10 of 50 concurrent single-unit checkouts hold the last 10 units', async () => {
    const productId = await aProduct(10);
    let lowest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const cached = (await stack.products.deps.products.findById(productId).lean())!;
        lowest = Math.min(lowest, (await stockOf(productId)).available, cached.available, cached.onHand - cached.reserved);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const attempts = await Promise.allSettled(Array.from({ length: 50 }, () => reserve({ reservationId: newId('reservation'), lines: [{ productId, quantity: 1 }] })));
    sampling = false;
    await sampler;

    const held = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(held).toHaveLength(10);
    expect(refused.map((r) => [r.reason.code, r.reason.details.reason, r.reason.details.productId])).toEqual(Array(40).fill(['CONFLICT', 'INSUFFICIENT_STOCK', productId]));
    expect(await stockOf(productId)).toEqual({ onHand: 10, reserved: 10, available: 0 });
    expect((await productDoc(productId)).holds).toHaveLength(10);
    expect(lowest).toBeGreaterThanOrEqual(0);
  });

  it('returns the priced snapshot of every line', async () => {
    const productId = await aProduct(3, { name: 'Brass Lamp', priceCents: 4999 });
    const reservationId = newId('reservation');
    const r = await reserve({ reservationId, lines: [{ productId, quantity: 2 }], ttlSeconds: 600 });
    expect(r).toMatchObject({ id: reservationId, status: 'HELD', lines: [{ productId, name: 'Brass Lamp', sku: expect.stringMatching(/^SKU-/), unitPriceCents: 4999, currency: 'EUR', quantity: 2 }] });
    expect(Date.parse(r.expiresAt) - Date.now()).toBeGreaterThan(590_000);
  });

  it('reserves nothing when one line of a multi-line checkout is short', async () => {
    const plenty = await aProduct(5);
    const short = await aProduct(1);
    const err = await errorOf(reserve({ reservationId: newId('reservation'), lines: [{ productId: plenty, quantity: 2 }, { productId: short, quantity: 2 }] }));
    expect(err).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: short } });
    expect(await stockOf(plenty)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await stockOf(short)).toEqual({ onHand: 1, reserved: 0, available: 1 });
  });

  it('changes nothing when reserve, commit or release is repeated', async () => {
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    const input = { reservationId, lines: [{ productId, quantity: 2 }] };
    const first = await reserve(input);
    const again = await Promise.all([reserve(input), reserve(input)]);
    expect(again).toEqual([first, first]);
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 2, available: 3 });

    const committed = await Promise.all([commit(reservationId), commit(reservationId)]);
    expect(committed.map((c) => c.status)).toEqual(['COMMITTED', 'COMMITTED']);
    expect(await commit(reservationId)).toMatchObject({ status: 'COMMITTED' });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    // Restocking a sold reservation (its order was cancelled) puts the units back once.
    expect(await Promise.all([restockSold(reservationId), restockSold(reservationId)])).toMatchObject([{ status: 'RELEASED' }, { status: 'RELEASED' }]);
    expect(await restockSold(reservationId)).toMatchObject({ status: 'RELEASED' });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await commit(reservationId)).toMatchObject({ status: 'RELEASED' });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    await restock(productId, -2);

    const other = newId('reservation');
    await reserve({ reservationId: other, lines: [{ productId, quantity: 1 }] });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 1, available: 2 });
    expect(await release(other)).toMatchObject({ status: 'RELEASED' });
    expect(await release(other)).toMatchObject({ status: 'RELEASED' });
    expect(await reserve({ reservationId: other, lines: [{ productId, quantity: 1 }] })).toMatchObject({ status: 'RELEASED' });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await release(newId('reservation'))).toBeNull();
  });

  it('refuses a reservation id reused for different lines', async () => {
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    await reserve({ reservationId, lines: [{ productId, quantity: 1 }] });
    const err = await errorOf(reserve({ reservationId, lines: [{ productId, quantity: 3 }] }));
    expect(err).toMatchObject({ code: 'CONFLICT', details: { reason: 'RESERVATION_ID_REUSED' } });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 1, available: 4 });
  });

  it('gives expired stock back; a late commit re-takes it if still there, else fails with CONFLICT', async () => {
    const productId = await aProduct(2);
    const late = newId('reservation');
    await reserve({ reservationId: late, lines: [{ productId, quantity: 2 }], ttlSeconds: 1 });
    expect(await stockOf(productId)).toEqual({ onHand: 2, reserved: 2, available: 0 });
    const freed = await eventually(() => stockOf(productId), (s) => s.available === 2);
    expect(freed).toEqual({ onHand: 2, reserved: 0, available: 2 });
    expect((await stack.products.deps.reservations.findById(late).lean())?.status).toBe('EXPIRED');

    // Still in stock: the paid order gets it.
    expect(await commit(late)).toMatchObject({ status: 'COMMITTED' });
    expect(await stockOf(productId)).toEqual({ onHand: 0, reserved: 0, available: 0 });

    // Gone: another expired reservation cannot be committed, and nothing changes.
    await restock(productId, 1);
    const gone = newId('reservation');
    await reserve({ reservationId: gone, lines: [{ productId, quantity: 1 }], ttlSeconds: 1 });
    await eventually(() => stockOf(productId), (s) => s.available === 1);
    await reserve({ reservationId: newId('reservation'), lines: [{ productId, quantity: 1 }] });
    const err = await errorOf(commit(gone));
    expect(err).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId } });
    expect(await errorOf(commit(gone))).toMatchObject({ code: 'CONFLICT' });
    expect(await stockOf(productId)).toEqual({ onHand: 1, reserved: 1, available: 0 });
  });

  it('applies release and restock from the queue under their own job ids: a release never gives back sold stock', async () => {
    const productId = await aProduct(3);
    const send = async (command: 'release' | 'restock', reservationId: string) => {
      const job = await addJob(inventoryQueue, inventoryCommandsQueue, { command, reservationId, reason: 'test', requestId: `req-${reservationId}` });
      return job.waitUntilFinished(inventoryEvents, 20_000);
    };
    // A failed attempt's release that arrives after the retry was paid: the sale stands.
    const sold = newId('reservation');
    await reserve({ reservationId: sold, lines: [{ productId, quantity: 2 }] });
    await commit(sold);
    expect(await send('release', sold)).toEqual({ command: 'release', reservationId: sold, status: 'COMMITTED' });
    expect(await stockOf(productId)).toEqual({ onHand: 1, reserved: 0, available: 1 });

    // The order is cancelled later: restock is its own job (not the release's id), and counts once.
    expect(inventoryJobId({ command: 'restock', reservationId: sold })).not.toBe(inventoryJobId({ command: 'release', reservationId: sold }));
    expect(await send('restock', sold)).toEqual({ command: 'restock', reservationId: sold, status: 'RELEASED' });
    expect(await restockSold(sold)).toMatchObject({ status: 'RELEASED' });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });

    // A restock of a hold that was never sold gives nothing: only release does that.
    const held = newId('reservation');
    await reserve({ reservationId: held, lines: [{ productId, quantity: 1 }] });
    expect(await send('restock', held)).toMatchObject({ status: 'HELD' });
    expect(await send('release', held)).toMatchObject({ status: 'RELEASED' });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });

    // A reservation nobody knows fails for good at once: retrying cannot help.
    await expect(send('release', newId('reservation'))).rejects.toThrow(/no reservation/);
  });

  it('answers NOT_FOUND for unknown or archived products and BAD_USER_INPUT for mixed currencies or bad quantities', async () => {
    const archived = await aProduct(5, { active: false });
    const eur = await aProduct(5);
    const usd = await aProduct(5, { currency: 'USD' });
    expect(await errorOf(reserve({ reservationId: newId('reservation'), lines: [{ productId: archived, quantity: 1 }] }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(reserve({ reservationId: newId('reservation'), lines: [{ productId: newId('product'), quantity: 1 }] }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(reserve({ reservationId: newId('reservation'), lines: [{ productId: eur, quantity: 1 }, { productId: usd, quantity: 1 }] }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await errorOf(reserve({ reservationId: newId('reservation'), lines: [{ productId: eur, quantity: 0 }] }))).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.lines.0.quantity' } });
    expect(await stockOf(eur)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it('keeps the internal operations off the public graph and refuses non-service callers', async () => {
    const productId = await aProduct(5);
    const input = { reservationId: newId('reservation'), lines: [{ productId, quantity: 1 }] };
    const viaGateway = await stack.gql(RESERVE, { input }, { token: await stack.tokenFor(newId('customer'), 'ADMIN') });
    expect(viaGateway.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    for (const role of ['ANONYMOUS', 'CUSTOMER', 'ADMIN'] as Role[]) {
      const caller = { sub: role === 'ANONYMOUS' ? undefined : newId('customer'), role, rid: `test-${role}` };
      for (const [query, variables] of [[RESERVE, { input }], [COMMIT, { id: input.reservationId }], [RELEASE, { id: input.reservationId }]] as const) {
        const identity = signIdentity(caller, stack.config.internalSecret, bindingFor('products', { query, variables }));
        const res = await postGraphQL(`${stack.products.url}/graphql`, query, variables, { [IDENTITY_HEADER]: identity });
        expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
    }
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  describe('each stock change happens once, whatever is repeated or cut short', () => {
    it('changes stock once and logs each change once when every command is sent five times at once', async () => {
      const productId = await aProduct(5);
      const reservationId = newId('reservation');
      const input = { reservationId, lines: [{ productId, quantity: 2 }] };
      const five = <T>(call: () => Promise<T>) => Promise.all(Array.from({ length: 5 }, call));

      expect((await five(() => reserve(input))).map((r) => r.status)).toEqual(Array(5).fill('HELD'));
      expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 2, available: 3 });
      expect((await five(() => commit(reservationId))).map((r) => r.status)).toEqual(Array(5).fill('COMMITTED'));
      expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
      expect((await five(() => restockSold(reservationId))).map((r) => r?.status)).toEqual(Array(5).fill('RELEASED'));
      expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });

      expect(await movementsOf(reservationId)).toEqual([`hold ${productId}`, `return ${productId}`, `sell ${productId}`]);
      expect(await productDoc(productId)).toMatchObject({ holds: [], returning: [] });
    });

    it('gives back the lines already held when a later line is short', async () => {
      const [a, b, c] = [await aProduct(5), await aProduct(5), await aProduct(1)];
      const reservationId = newId('reservation');
      const input = { reservationId, lines: [{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }, { productId: c, quantity: 2 }] };
      expect(await errorOf(reserve(input))).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: c } });
      for (const [id, onHand] of [[a, 5], [b, 5], [c, 1]] as const) expect(await stockOf(id)).toEqual({ onHand, reserved: 0, available: onHand });
      expect(await movementsOf(reservationId)).toEqual([`give-back ${a}`, `give-back ${b}`, `hold ${a}`, `hold ${b}`]);
      expect(await reservationDoc(reservationId)).toMatchObject({ status: 'FAILED', settled: true, shortProductId: c });
      // Repeating the call repeats the answer and changes nothing.
      expect(await errorOf(reserve(input))).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: c } });
      expect(await stockOf(a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    });

    it('completes a reserve that crashed half way through its holds when the call is repeated', async () => {
      const [a, b] = [await aProduct(5), await aProduct(5)];
      const reservationId = newId('reservation');
      const lines = [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }];
      await storedReservation(reservationId, lines, { status: 'PENDING' });
      await holdDirectly(a, reservationId, 2);

      expect(await reserve({ reservationId, lines })).toMatchObject({ status: 'HELD' });
      expect(await stockOf(a)).toEqual({ onHand: 5, reserved: 2, available: 3 });
      expect(await stockOf(b)).toEqual({ onHand: 5, reserved: 1, available: 4 });
      expect(await reservationDoc(reservationId)).toMatchObject({ status: 'HELD', settled: true });
    });

    it('gives back what a reserve that crashed right after finding a line short had held', async () => {
      const [a, b] = [await aProduct(5), await aProduct(1)];
      const reservationId = newId('reservation');
      const lines = [{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }];
      await storedReservation(reservationId, lines, { status: 'FAILED', settled: false, shortProductId: b });
      await holdDirectly(a, reservationId, 2);

      expect(await errorOf(reserve({ reservationId, lines }))).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: b } });
      expect(await stockOf(a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
      expect(await reservationDoc(reservationId)).toMatchObject({ status: 'FAILED', settled: true });
    });

    it('sells the stock of a commit that crashed after its move, once, on the next commit', async () => {
      const productId = await aProduct(5);
      const reservationId = newId('reservation');
      await reserve({ reservationId, lines: [{ productId, quantity: 2 }] });
      await stack.products.deps.reservations.updateOne({ _id: reservationId }, { $set: { status: 'COMMITTED', settled: false } });

      expect(await commit(reservationId)).toMatchObject({ status: 'COMMITTED' });
      expect(await commit(reservationId)).toMatchObject({ status: 'COMMITTED' });
      expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
      expect(await reservationDoc(reservationId)).toMatchObject({ status: 'COMMITTED', settled: true });
    });

    it('lets the expiry job finish a release that crashed before giving the stock back', async () => {
      const productId = await aProduct(5);
      const reservationId = newId('reservation');
      await reserve({ reservationId, lines: [{ productId, quantity: 2 }], ttlSeconds: 1 });
      await stack.products.deps.reservations.updateOne({ _id: reservationId }, { $set: { status: 'RELEASED', settled: false } });
      expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 2, available: 3 });

      expect(await eventually(() => stockOf(productId), (s) => s.available === 5)).toEqual({ onHand: 5, reserved: 0, available: 5 });
      expect(await eventually(() => reservationDoc(reservationId), (r) => r.settled)).toMatchObject({ status: 'RELEASED', settled: true });
    });

    it('returns sold units once when a return crashed between the product write and recording it', async () => {
      const productId = await aProduct(5);
      const reservationId = newId('reservation');
      await reserve({ reservationId, lines: [{ productId, quantity: 2 }] });
      await commit(reservationId);
      await stack.products.deps.reservations.updateOne({ _id: reservationId }, { $set: { status: 'RETURNED', settled: false } });
      await stack.products.deps.products.updateOne({ _id: productId }, { $inc: { onHand: 2, available: 2 }, $push: { returning: { r: reservationId, t: 'crashed-writer' } } });

      expect(await restockSold(reservationId)).toMatchObject({ status: 'RELEASED' });
      expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
      expect(await productDoc(productId)).toMatchObject({ returning: [] });
      expect(await reservationDoc(reservationId)).toMatchObject({ status: 'RETURNED', settled: true, returned: [{ p: productId, t: 'crashed-writer' }] });
    });

    it('gives back a late duplicate hold that lands after the sale, and takes back a late duplicate return', async () => {
      const effects = createReservationEffects(stack.products.deps.models, stack.products.deps.stock);
      const productId = await aProduct(5);
      const reservationId = newId('reservation');
      await reserve({ reservationId, lines: [{ productId, quantity: 2 }] });
      const asReadBeforeItMoved = await reservationDoc(reservationId);
      await commit(reservationId);

      // A duplicate reserve that read the reservation while PENDING places its hold only now.
      await effects.placeHolds({ ...asReadBeforeItMoved, status: 'PENDING', settled: false });
      expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
      expect(await productDoc(productId)).toMatchObject({ holds: [] });

      // A duplicate restock that read it while still returning writes its return after the winner's.
      await restockSold(reservationId);
      await effects.finish({ ...(await reservationDoc(reservationId)), settled: false, returned: [] });
      expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
      expect(await productDoc(productId)).toMatchObject({ holds: [], returning: [] });
    });
  });
});
