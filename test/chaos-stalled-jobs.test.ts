import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../scripts/backing/processes';
import { newId } from '../subgraphs/lib/ids';
import { QUEUES, paymentResultJobId } from '../subgraphs/lib/queues';
import type { OrderDoc } from '../subgraphs/orders/model';
import { createProduct, paymentResult, pipelineQueues, reserve, stockOf, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');

/**
 * A worker that dies mid-job leaves the job "stalled": once its lock runs out, another worker puts
 * it back in the queue. BullMQ's default gives up on the second stall and fails the job for good,
 * so two crashes in a row (a rolling restart, the chaos run) would leave a paid payment without its
 * order until an admin retried it. The job must instead survive a few crashes: every consumer is
 * idempotent.
 */
describe('a job cut off by two worker crashes in a row', () => {
  let stack: TestStack;
  let q: ReturnType<typeof pipelineQueues>;
  let blackHole: net.Server;
  let blackHoleUrl: string;
  const children: ChildProcess[] = [];

  /** The orders worker as npm start runs it; `productsUrl` is where it commits stock. */
  function ordersWorker(productsUrl: string): ChildProcess {
    const env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'error', PORT: '0', MONGODB_URI: stack.config.mongoUri, REDIS_URL: stack.config.redisUrl, DB_PREFIX: stack.config.dbPrefix, QUEUE_PREFIX: stack.config.queuePrefix, PRODUCTS_URL: productsUrl, INTERNAL_SECRET: stack.config.internalSecret, JWT_SECRET: stack.config.jwtSecret };
    const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/orders/worker-main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  }
  const killed = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGKILL'))));

  beforeAll(async () => {
    stack = await startStack();
    q = pipelineQueues(stack);
    // Accepts connections and never answers: a commit to it keeps the job active (until its 5 s timeout).
    blackHole = net.createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((resolve) => blackHole.listen(port, '127.0.0.1', resolve));
    blackHoleUrl = `http://127.0.0.1:${port}/graphql`;
  });
  afterAll(async () => {
    for (const child of children) await killed(child);
    blackHole?.close();
    await q?.close();
    await stack?.stop();
  });

  it('still becomes exactly one paid order', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const result = paymentResult(newId('customer'), hold);
    await q.publish(result);
    const job = () => q.queues[QUEUES.paymentResults].getJob(paymentResultJobId(result));

    for (let crash = 1; crash <= 2; crash++) {
      const worker = ordersWorker(blackHoleUrl);
      // Active on this worker: started once more than before.
      await waitFor(`the job active (run ${crash})`, async () => (await job())?.attemptsStarted === crash && (await q.queues[QUEUES.paymentResults].getJobState(paymentResultJobId(result))) === 'active', 60_000, 50);
      await killed(worker);
    }

    ordersWorker(stack.config.peers.products);
    const order = await waitFor('the order', () => stack.orders.deps.orders.findOne({ paymentId: result.paymentId }).lean<OrderDoc>(), 90_000, 200);
    expect(order.status).toBe('PAID');
    expect(await stack.orders.deps.orders.countDocuments({ paymentId: result.paymentId })).toBe(1);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
    expect((await job())?.failedReason ?? null).toBeNull();
  }, 150_000);
});
