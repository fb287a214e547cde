import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, ROOT } from '../scripts/backing/processes';
import { startMailpit, type Mailpit } from '../scripts/backing/mail';
import { newId } from '../subgraphs/lib/ids';
import { QUEUES } from '../subgraphs/lib/queues';
import type { RunningService } from '../subgraphs/lib/service';
import type { OrderDoc } from '../subgraphs/orders/model';
import { DELIVERY_UNKNOWN } from '../subgraphs/orders/notifications/records';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { SHOP, aCustomer, inbox, replySwallowingProxy, startNotifications, waitForRecord } from './notifications-flows';
import { createProduct, paymentResult, pipelineQueues, reserve, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

/** The real notifications worker process (worker-main.ts), on this stack's databases and queues. */
async function startWorkerProcess(stack: TestStack, smtpUrl: string): Promise<{ child: ChildProcess; output: string[] }> {
  const port = await freePort();
  const output: string[] = [];
  const env = {
    PATH: process.env.PATH!,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    MONGODB_URI: stack.config.mongoUri,
    DB_PREFIX: stack.config.dbPrefix,
    REDIS_URL: stack.config.redisUrl,
    QUEUE_PREFIX: stack.config.queuePrefix,
    CUSTOMERS_URL: stack.config.peers.customers,
    SMTP_URL: smtpUrl,
    MAIL_FROM: SHOP.from,
    SHOP_NAME: SHOP.shopName,
    SHOP_URL: SHOP.shopUrl,
    NOTIFICATION_LEASE_MS: '2000',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/orders/notifications/worker-main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (b) => output.push(...b.toString().split('\n').filter(Boolean)));
  await waitFor('the worker process to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${output.join('\n')}`);
    return fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
  }, 30_000);
  return { child, output };
}

describe('a notifications worker killed mid-send', () => {
  let stack: TestStack;
  let ordersWorker: RunningService;
  let mailpit: Mailpit;
  let q: ReturnType<typeof pipelineQueues>;

  beforeAll(async () => {
    [stack, mailpit] = await Promise.all([startStack(), startMailpit()]);
    ordersWorker = await startOrdersWorker({ ...stack.config, port: 0 }, { relayIntervalMs: 500 });
    q = pipelineQueues(stack);
  });
  afterAll(async () => {
    await q?.close();
    await ordersWorker?.stop();
    await stack?.stop();
    await mailpit?.stop();
  });

  it('sends at most one copy: the server got it, the worker died before recording it; no one sends it again, and admins see why', async () => {
    const customer = await aCustomer(stack);
    // The SMTP server accepts the message, but the worker never hears its "250 OK".
    const proxy = await replySwallowingProxy(mailpit.smtpPort);
    const worker = await startWorkerProcess(stack, `smtp://127.0.0.1:${proxy.port}`);
    let survivor: RunningService | undefined;
    try {
      const product = await createProduct(stack, 5);
      const result = paymentResult(customer.id, await reserve(stack, product, 1));
      await q.publish(result);
      await proxy.accepted;
      worker.child.kill('SIGKILL');
      const order = (await stack.orders.deps.orders.findOne({ paymentId: result.paymentId }).lean<OrderDoc>())!;
      const recordId = `${order._id}:ORDER_PLACED`;
      const mail = inbox(mailpit.webUrl);
      expect(await mail.waitForMessages(customer.email, 1)).toHaveLength(1);
      expect(await stack.orders.deps.notifications.records.findById(recordId).lean()).toMatchObject({ status: 'SENDING', attempts: 1 });

      // Another replica takes over: its sweep finds the dead sender's lease run out, and the job,
      // back from the dead worker (stalled), finds the record decided.
      survivor = await startNotifications(stack, mailpit.smtpUrl);
      const failed = await waitForRecord(stack, 'the interrupted send marked for review', { _id: recordId, status: 'FAILED' });
      expect(failed.lastError).toBe(DELIVERY_UNKNOWN);
      const job = await waitFor('the dead worker\'s job to finish elsewhere', async () => {
        const j = await q.queues[QUEUES.notifications].getJob(`notify-${order._id}-ORDER_PLACED`);
        return (await j?.getState()) === 'completed' && j;
      }, 45_000, 250);
      expect(['already-failed', 'interrupted']).toContain(job.returnvalue.outcome);
      expect(await mail.messagesTo(customer.email)).toHaveLength(1);

      const seen = await stack.gql(`query($id: ID!) { order(id: $id) { notifications { status attempts lastError } } }`, { id: order._id }, { token: await stack.tokenFor(newId('customer'), 'ADMIN') });
      expect(seen.data.order.notifications).toEqual([{ status: 'FAILED', attempts: 1, lastError: DELIVERY_UNKNOWN }]);
    } finally {
      worker.child.kill('SIGKILL');
      await survivor?.stop();
      await proxy.close();
    }
  }, 90_000);
});
