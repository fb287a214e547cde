import { newId } from '../subgraphs/lib/ids';
import { IDENTITY_HEADER, bindingFor, signIdentity, type Role } from '../subgraphs/lib/identity';
import { inventoryCommandsQueue, inventoryJobId } from '../subgraphs/lib/queues';
import { addJob } from './support/queues';
import { postGraphQL } from './support/stack';
import { COMMIT, RELEASE, RESERVE, inventoryHarness } from './support/inventory';

describe('stock reservations for checkout never oversell', () => {
  const h = inventoryHarness();
  const { aProduct, stockOf, productDoc, restock, reserve, commit, release, restockSold, errorOf, eventually } = h;

  it('lets exactly 10 of 50 concurrent single-unit checkouts hold the last 10 units', async () => {
    const productId = await aProduct(10);
    let lowest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const cached = (await h.stack.products.deps.products.findById(productId).lean())!;
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
    // Restocking a sold reservation (its order was canceled) puts the units back once.
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
    expect((await h.stack.products.deps.reservations.findById(late).lean())?.status).toBe('EXPIRED');

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
      const job = await addJob(h.inventoryQueue, inventoryCommandsQueue, { command, reservationId, reason: 'test', requestId: `req-${reservationId}` });
      return job.waitUntilFinished(h.inventoryEvents, 20_000);
    };
    // A failed attempt's release that arrives after the retry was paid: the sale stands.
    const sold = newId('reservation');
    await reserve({ reservationId: sold, lines: [{ productId, quantity: 2 }] });
    await commit(sold);
    expect(await send('release', sold)).toEqual({ command: 'release', reservationId: sold, status: 'COMMITTED' });
    expect(await stockOf(productId)).toEqual({ onHand: 1, reserved: 0, available: 1 });

    // The order is canceled later: restock is its own job (not the release's id), and counts once.
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
    const viaGateway = await h.stack.gql(RESERVE, { input }, { token: await h.stack.tokenFor(newId('customer'), 'ADMIN') });
    expect(viaGateway.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    for (const role of ['ANONYMOUS', 'CUSTOMER', 'ADMIN'] as Role[]) {
      const caller = { sub: role === 'ANONYMOUS' ? undefined : newId('customer'), role, rid: `test-${role}` };
      for (const [query, variables] of [[RESERVE, { input }], [COMMIT, { id: input.reservationId }], [RELEASE, { id: input.reservationId }]] as const) {
        const identity = signIdentity(caller, h.stack.config.internalSecret, bindingFor('products', { query, variables }));
        const res = await postGraphQL(`${h.stack.products.url}/graphql`, query, variables, { [IDENTITY_HEADER]: identity });
        expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }
    }
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });
});
