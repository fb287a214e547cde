import { QueueEvents, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { newId } from '../../subgraphs/lib/ids';
import { internalClient, type InternalCall } from '../../subgraphs/lib/internal-client';
import { QUEUES, bullPrefix, inventoryCommandsQueue, openQueue, queueDeps } from '../../subgraphs/lib/queues';
import { createRedis } from '../../subgraphs/lib/redis';
import { startProductsWorker } from '../../subgraphs/products/worker';
import { startStack, type TestStack } from './stack';

export const RESERVE = `mutation Reserve($input: ReserveStockInput!) {
  reserveStock(input: $input) { id status expiresAt lines { productId name sku unitPriceCents currency quantity } }
}`;
export const RELEASE = `mutation Release($id: ID!) { releaseReservation(reservationId: $id) { id status } }`;
export const COMMIT = `mutation Commit($id: ID!) { commitReservation(reservationId: $id) { id status lines { productId quantity } } }`;

export interface Reservation {
  id: string;
  status: string;
  expiresAt: string;
  lines: Array<{ productId: string; name: string; sku: string; unitPriceCents: number; currency: string; quantity: number }>;
}

/**
 * The products subgraph and its inventory worker on real services, called as the payments service
 * calls them (SERVICE identity), with helpers to read and to write stock and reservations the way a
 * crash would leave them. Registers its own beforeAll/afterAll.
 */
export function inventoryHarness() {
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
    inventoryQueue = openQueue(inventoryCommandsQueue, queueDeps(redis, stack.config.queuePrefix)).queue;
    inventoryEvents = new QueueEvents(QUEUES.inventory, { connection: { url: stack.config.redisUrl }, prefix: bullPrefix(stack.config.queuePrefix, QUEUES.inventory) });
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
  /** What the `restock` inventory command does for a canceled order. */
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


  return {
    get stack() {
      return stack;
    },
    get inventoryQueue() {
      return inventoryQueue;
    },
    get inventoryEvents() {
      return inventoryEvents;
    },
    aProduct, stockOf, productDoc, reservationDoc, movementsOf, storedReservation, holdDirectly, restock, reserve, commit, release, restockSold, errorOf, eventually,
  };
}
