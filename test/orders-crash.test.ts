import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { newId } from '../subgraphs/lib/ids';
import { QUEUES, paymentResultJobId } from '../subgraphs/lib/queues';
import type { OrderDoc } from '../subgraphs/orders/model';
import { createProduct, paymentResult, pipelineQueues, reserve, stockOf, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');

/** The orders worker as its own process, as `npm start` runs it, against this test's databases and queues. */
function spawnOrdersWorker(stack: TestStack, env: Record<string, string> = {}): ChildProcess {
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
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve())));

describe('a worker killed mid-job', () => {
  let stack: TestStack;
  let q: ReturnType<typeof pipelineQueues>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startStack();
    q = pipelineQueues(stack);
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && !child.signalCode) {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
    await q?.close();
    await stack?.stop();
  });

  it('SIGKILL after the order is saved but before its messages are published: the restarted worker finishes, still one order', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const result = paymentResult(newId('customer'), hold);

    // The test-only hold (ORDERS_WORKER_TEST_HOLD_MS) keeps the job between "order saved" and "published".
    const first = spawnOrdersWorker(stack, { ORDERS_WORKER_TEST_HOLD_MS: '60000' });
    children.push(first);
    await q.publish(result);
    const saved = await waitFor('order saved by the first worker', () => stack.orders.deps.orders.findOne({ paymentId: result.paymentId }).lean<OrderDoc>(), 30_000);
    expect(saved.outboxPending).toBe(1);
    expect(await q.queues[QUEUES.paymentResults].getJob(paymentResultJobId(result)).then((j) => j?.getState())).toBe('active');

    first.kill('SIGKILL');
    await exited(first);

    const second = spawnOrdersWorker(stack);
    children.push(second);
    // Stalled-job recovery gives the job back once the dead worker's lock lapses (orders worker: 15 s lock).
    await waitFor('job completed after restart', async () => (await q.queues[QUEUES.paymentResults].getJob(paymentResultJobId(result)))?.finishedOn, 45_000, 250);
    const job = await q.queues[QUEUES.paymentResults].getJob(paymentResultJobId(result));
    expect(await job?.getState()).toBe('completed');

    const orders = await stack.orders.deps.orders.find({ paymentId: result.paymentId }).lean<OrderDoc[]>();
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ _id: saved._id, status: 'PAID', outboxPending: 0 });
    expect((await q.jobIds(QUEUES.analytics)).filter((id) => id.startsWith(saved._id))).toEqual([`${saved._id}-paid`]);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
  }, 90_000);
});
