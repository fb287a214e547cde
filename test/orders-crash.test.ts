import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { newId } from '../subgraphs/lib/ids';
import { internalClient } from '../subgraphs/lib/internal-client';
import { QUEUES, paymentResultJobId, type PaymentResult } from '../subgraphs/lib/queues';
import { followUpsFor, orderFromPaymentResult } from '../subgraphs/orders/events';
import type { OrderDoc } from '../subgraphs/orders/model';
import { commitStock } from '../subgraphs/orders/stock';
import { createProduct, paymentResult, pipelineQueues, reserve, stockOf, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');

/** The orders worker as its own process, as `npm start` runs it, against this test's databases and queues. */
function spawnOrdersWorker(stack: TestStack): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/orders/worker-main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: '0',
      MONGODB_URI: stack.config.mongoUri,
      REDIS_URL: stack.config.redisUrl,
      DB_PREFIX: stack.config.dbPrefix,
      QUEUE_PREFIX: stack.config.queuePrefix,
      PRODUCTS_URL: stack.config.peers.products,
      INTERNAL_SECRET: stack.config.internalSecret,
      JWT_SECRET: stack.config.jwtSecret,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve())));

/**
 * A worker that dies mid-job leaves one of two states behind, and the next worker finishes either
 * from what is stored: (1) the stock committed, no order yet; (2) the order saved with its
 * messages still pending in its outbox. Each test writes exactly that state (as the dead worker
 * left it), then lets a real worker process, as `npm start` runs it, take over.
 */
describe('an orders worker that died mid-job', () => {
  let stack: TestStack;
  let q: ReturnType<typeof pipelineQueues>;
  let worker: ChildProcess;

  beforeAll(async () => {
    stack = await startStack();
    q = pipelineQueues(stack);
    worker = spawnOrdersWorker(stack);
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null && !worker.signalCode) {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    await q?.close();
    await stack?.stop();
  });

  const orders = () => stack.orders.deps.orders;
  const commitAsTheDeadWorkerDid = (reservationId: string) => commitStock(internalClient({ url: stack.config.peers.products, target: 'products', service: 'orders', internalSecret: stack.config.internalSecret }), reservationId);
  /** BullMQ hands a job cut off by a crash back to the queue (stalled-job recovery); it runs again from the start. */
  async function redeliver(result: PaymentResult) {
    await q.publish(result);
    await waitFor('job completed by the new worker', async () => (await q.queues[QUEUES.paymentResults].getJob(paymentResultJobId(result)))?.finishedOn, 45_000, 100);
  }

  it('died after committing the stock, before saving the order: the retry commits nothing more and saves one order', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const result = paymentResult(newId('customer'), hold);
    expect(await commitAsTheDeadWorkerDid(hold.reservationId)).toBe('COMMITTED');

    await redeliver(result);

    const stored = await orders().find({ paymentId: result.paymentId }).lean<OrderDoc[]>();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'PAID', outboxPending: 0 });
    expect(await q.jobIds(QUEUES.analytics)).toContain(`${stored[0]._id}-paid`);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
  }, 60_000);

  it('died after saving the order, before publishing its messages: the retry publishes them once, still one order', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const result = paymentResult(newId('customer'), hold);
    await commitAsTheDeadWorkerDid(hold.reservationId);
    const saved = (await orders().create(orderFromPaymentResult(result, newId('order'), 'PAID', new Date()))).toObject();
    expect(saved.outboxPending).toBe(2);

    await redeliver(result);

    const stored = await orders().find({ paymentId: result.paymentId }).lean<OrderDoc[]>();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ _id: saved._id, status: 'PAID', outboxPending: 0, outboxDone: [`${saved._id}-paid`, `notify-${saved._id}-ORDER_PLACED`] });
    expect(stored[0].statusHistory).toHaveLength(1);
    expect((await q.jobIds(QUEUES.analytics)).filter((id) => id.startsWith(saved._id))).toEqual([`${saved._id}-paid`]);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
  }, 60_000);

  it('left messages pending with no retry coming (a cancellation whose publish failed): the relay sweep publishes them once', async () => {
    const result = paymentResult(newId('customer'), { reservationId: newId('reservation'), lines: [{ productId: newId('product'), name: 'Mug', unitPriceCents: 900, quantity: 1 }] });
    const order = orderFromPaymentResult(result, newId('order'), 'PAID', new Date());
    const owed = followUpsFor(order, 'CANCELED', new Date(), 'req-cancel');
    const staleSince = new Date(Date.now() - 60_000);
    await orders().collection.insertOne({
      ...order,
      status: 'CANCELED',
      statusHistory: [...order.statusHistory, { from: 'PAID', to: 'CANCELED', at: staleSince, by: order.customerId }],
      outbox: [...order.outbox, ...owed],
      outboxDone: order.outbox.map((e) => e.id),
      outboxPending: owed.length,
      createdAt: staleSince,
      updatedAt: staleSince,
    } as never);

    const done = await waitFor('relay published the cancellation', () => orders().findOne({ _id: order._id, outboxPending: 0 }).lean<OrderDoc>(), 20_000, 100);

    expect([...done.outboxDone].sort()).toEqual([...order.outbox, ...owed].map((e) => e.id).sort());
    expect(await q.jobIds(QUEUES.refunds)).toContain(`refund-${order._id}-order_canceled`);
    expect(await q.jobIds(QUEUES.inventory)).toContain(`restock-${order.reservationId}`);
    expect((await q.jobIds(QUEUES.analytics)).filter((id) => id.startsWith(order._id))).toEqual([`${order._id}-canceled`]);
  }, 60_000);
});
