import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort, ROOT } from '../scripts/backing/processes';
import { startMailpit, type Mailpit } from '../scripts/backing/mail';
import { newId } from '../subgraphs/lib/ids';
import { internalClient } from '../subgraphs/lib/internal-client';
import { createLogger } from '../subgraphs/lib/logger';
import { QUEUES, notificationsQueue } from '../subgraphs/lib/queues';
import type { RunningService } from '../subgraphs/lib/service';
import type { OrderDoc } from '../subgraphs/orders/model';
import { deliverNotification, SendInProgressError, type DeliveryDeps } from '../subgraphs/orders/notifications/delivery';
import { recipientsFromCustomers } from '../subgraphs/orders/notifications/recipient';
import { DELIVERY_UNKNOWN, STOPPED_BEFORE_HAND_OVER, sweepExpiredClaims } from '../subgraphs/orders/notifications/records';
import { createMailer } from '../subgraphs/orders/notifications/smtp';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { SHOP, aCustomer, inbox, notificationRecords, replySwallowingProxy, startNotifications, waitForRecord } from './notifications-flows';
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

/**
 * An SMTP proxy in front of a real server that holds the server's answers from the client's DATA
 * on (its 354) until release(): the client has claimed the record and waits to stream the body, so
 * it has not handed the message over. It keeps what the client sent after the release, and says
 * when the connection to the server is closed (the server can no longer get an end-of-data).
 */
async function dataHoldingProxy(target: number) {
  let markAsked!: () => void;
  let markClosed!: () => void;
  const dataAsked = new Promise<void>((resolve) => (markAsked = resolve));
  const serverSideClosed = new Promise<void>((resolve) => (markClosed = resolve));
  let release = () => {};
  let sentAfterRelease = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const held: Buffer[] = [];
    let dataSent = false;
    let released = false;
    let tail = '';
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.on('data', (chunk) => {
      if (released) sentAfterRelease += chunk.toString('latin1');
      tail = (tail + chunk.toString('latin1')).slice(-8);
      if (/(^|\n)DATA\r\n$/i.test(tail)) dataSent = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!dataSent || released) return void client.write(chunk);
      held.push(chunk);
      if (/(^|\n)354[ -]/.test(Buffer.concat(held).toString('latin1'))) markAsked();
    });
    release = () => {
      released = true;
      for (const chunk of held.splice(0)) client.write(chunk);
    };
    // The client gone (a kill, or its abort): end the server side as a dropped connection would.
    client.on('close', () => {
      upstream.end();
      setTimeout(() => upstream.destroy(), 2_000).unref();
    });
    upstream.on('close', () => {
      client.destroy();
      markClosed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dataAsked,
    serverSideClosed,
    release: () => release(),
    sentAfterRelease: () => sentAfterRelease,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('a notification send cut off before or after its hand-over', () => {
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

  /**
   * Pays an order whose confirmation the real worker process sends through `proxyPort`, and
   * SIGKILLs that worker once `proxyReached` resolves (the point in the SMTP exchange under test).
   */
  async function confirmationCutOff(proxyPort: number, proxyReached: Promise<unknown>) {
    const customer = await aCustomer(stack);
    const worker = await startWorkerProcess(stack, `smtp://127.0.0.1:${proxyPort}`);
    let paymentId: string;
    try {
      const product = await createProduct(stack, 5);
      const result = paymentResult(customer.id, await reserve(stack, product, 1));
      paymentId = result.paymentId;
      await q.publish(result);
      await proxyReached;
    } finally {
      worker.child.kill('SIGKILL');
    }
    const order = (await stack.orders.deps.orders.findOne({ paymentId }).lean<OrderDoc>())!;
    return { customer, order, recordId: `${order._id}:ORDER_PLACED` };
  }

  /** The confirmation job of this order, once some worker completed it. */
  function confirmationJobDone(orderId: string) {
    return waitFor('the dead worker\'s job to finish elsewhere', async () => {
      const j = await q.queues[QUEUES.notifications].getJob(`notify-${orderId}-ORDER_PLACED`);
      return (await j?.getState()) === 'completed' && j;
    }, 45_000, 250);
  }

  it('killed after the hand-over: at most one copy (the server got it, the worker died before recording it); no one sends it again, and admins see why', async () => {
    // The SMTP server accepts the message, but the worker never hears its "250 OK".
    const proxy = await replySwallowingProxy(mailpit.smtpPort);
    let survivor: RunningService | undefined;
    try {
      const { customer, order, recordId } = await confirmationCutOff(proxy.port, proxy.accepted);
      const mail = inbox(mailpit.webUrl);
      expect(await mail.waitForMessages(customer.email, 1)).toHaveLength(1);
      expect(await stack.orders.deps.notifications.records.findById(recordId).lean()).toMatchObject({ status: 'SENDING', attempts: 1 });

      // Another replica takes over: its sweep finds the dead sender's lease run out, and the job,
      // back from the dead worker (stalled), finds the record decided.
      survivor = await startNotifications(stack, mailpit.smtpUrl);
      const failed = await waitForRecord(stack, 'the interrupted send marked for review', { _id: recordId, status: 'FAILED' });
      expect(failed.lastError).toBe(DELIVERY_UNKNOWN);
      const job = await confirmationJobDone(order._id);
      expect(['already-failed', 'interrupted']).toContain(job.returnvalue.outcome);
      expect(await mail.messagesTo(customer.email)).toHaveLength(1);

      const seen = await stack.gql(`query($id: ID!) { order(id: $id) { notifications { status attempts lastError } } }`, { id: order._id }, { token: await stack.tokenFor(newId('customer'), 'ADMIN') });
      expect(seen.data.order.notifications).toEqual([{ status: 'FAILED', attempts: 1, lastError: DELIVERY_UNKNOWN }]);
    } finally {
      await survivor?.stop();
      await proxy.close();
    }
  }, 90_000);

  it('killed before the hand-over (waiting for the server\'s 354): nothing was accepted, so the email is sent again, exactly once', async () => {
    const proxy = await dataHoldingProxy(mailpit.smtpPort);
    let survivor: RunningService | undefined;
    try {
      const { customer, order, recordId } = await confirmationCutOff(proxy.port, proxy.dataAsked);
      const cutOff = await notificationRecords(stack).findById(recordId).lean();
      expect(cutOff).toMatchObject({ status: 'SENDING', attempts: 1 });
      expect(cutOff!.handedOverAt).toBeUndefined();
      await proxy.serverSideClosed; // the dead worker's session is gone: the server dropped it unfinished
      const mail = inbox(mailpit.webUrl);
      expect(await mail.messagesTo(customer.email)).toHaveLength(0);

      // Another replica: its sweep moves the dead sender's record back to PENDING once the lease
      // has run out, and the job, back from the dead worker (stalled), sends it.
      survivor = await startNotifications(stack, mailpit.smtpUrl);
      const sent = await waitForRecord(stack, 'the email sent again', { _id: recordId, status: 'SENT' }, 45_000);
      expect(sent).toMatchObject({ attempts: 2, lastError: null });
      expect(sent.handedOverAt).toBeInstanceOf(Date);
      const job = await confirmationJobDone(order._id);
      expect(job.returnvalue.outcome).toBe('sent');
      expect(await mail.waitForMessages(customer.email, 1)).toHaveLength(1);
    } finally {
      await survivor?.stop();
      await proxy.close();
    }
  }, 90_000);

  /** What one in-process sender needs: this stack's records and customers, its own SMTP server URL and lease. */
  function deliveryDeps(smtpUrl: string, leaseMs: number): DeliveryDeps {
    const customers = internalClient({ url: stack.config.peers.customers, target: 'customers', service: 'orders', internalSecret: stack.config.internalSecret });
    const mail = { ...SHOP, smtpUrl };
    return { records: notificationRecords(stack), mailer: createMailer(mail), recipients: recipientsFromCustomers(customers), mail, leaseMs, logger: createLogger('notifications-test', 'error') };
  }

  it('the fence: a sender whose claim was taken away before its hand-over aborts the message unfinished; the one copy is the new claimant\'s', async () => {
    const customer = await aCustomer(stack);
    const product = await createProduct(stack, 5);
    const result = paymentResult(customer.id, await reserve(stack, product, 1));
    await q.publish(result);
    const order = await waitFor('the order', () => stack.orders.deps.orders.findOne({ paymentId: result.paymentId, outboxPending: 0 }).lean<OrderDoc>());
    // The job, taken out of the queue: two senders here run it by hand, no worker does.
    const job = await waitFor('the confirmation job', async () => q.queues[QUEUES.notifications].getJob(`notify-${order._id}-ORDER_PLACED`));
    const n = notificationsQueue.schema.parse(job.data);
    await job.remove();
    const recordId = `${order._id}:ORDER_PLACED`;
    const proxy = await dataHoldingProxy(mailpit.smtpPort);
    const slow = deliveryDeps(`smtp://127.0.0.1:${proxy.port}`, 1_000);
    const next = deliveryDeps(mailpit.smtpUrl, 60_000);
    try {
      const slowSend = deliverNotification(n, slow).then((outcome) => ({ outcome }), (error: unknown) => ({ error }));
      await proxy.dataAsked; // slow has claimed it and waits for the 354: not handed over
      await waitFor('the slow sender\'s lease to run out', async () => {
        const r = await notificationRecords(stack).findById(recordId).lean();
        return r!.leaseUntil!.getTime() < Date.now() - 50;
      });

      // Another job takes it over: the record goes back to PENDING, is claimed again and sent.
      expect(await deliverNotification(n, next)).toBe('sent');
      // Only now does the server answer slow's DATA: it streams the body, and its hand-over is refused.
      proxy.release();
      const slowResult = await slowSend;
      expect('error' in slowResult && slowResult.error).toBeInstanceOf(SendInProgressError);
      await proxy.serverSideClosed;
      expect(proxy.sentAfterRelease()).toContain(`Subject: Order ${order._id} confirmed`);
      expect(proxy.sentAfterRelease()).not.toContain('\r\n.\r\n'); // the end-of-data never went out

      const mail = inbox(mailpit.webUrl);
      expect((await mail.messagesTo(customer.email)).map((m) => m.Subject)).toEqual([`Order ${order._id} confirmed`]);
      expect(await notificationRecords(stack).findById(recordId).lean()).toMatchObject({ status: 'SENT', attempts: 2, lastError: null });
    } finally {
      slow.mailer.close();
      next.mailer.close();
      await proxy.close();
    }
  }, 60_000);

  it('the sweep: a dead sender\'s record not handed over goes back to PENDING (attempts kept); only one handed over is FAILED', async () => {
    const records = notificationRecords(stack);
    const expired = new Date(Date.now() - 1_000);
    const sending = (key: string, extra: Record<string, unknown>) => ({
      _id: `ord_sweep${Date.now().toString(36)}:${key}`, orderId: 'ord_sweep', customerId: 'cus_sweep', event: 'ORDER_PLACED', status: 'SENDING', attempts: 3, resends: 0,
      messageId: `<${key}@shop.test>`, payload: '{}', outbox: [], outboxDone: [], outboxPending: 0, claimToken: `token-${key}`, leaseUntil: expired, ...extra,
    });
    const [notHandedOver, handedOver, live] = [sending('a', {}), sending('b', { handedOverAt: expired }), sending('c', { leaseUntil: new Date(Date.now() + 60_000) })];
    await records.create([notHandedOver, handedOver, live]);

    const swept = await sweepExpiredClaims(records);
    expect(swept.requeued).toBeGreaterThanOrEqual(1);
    expect(swept.interrupted).toBeGreaterThanOrEqual(1);
    const after = await records.findById(notHandedOver._id).lean();
    expect(after).toMatchObject({ status: 'PENDING', attempts: 3, lastError: STOPPED_BEFORE_HAND_OVER });
    expect(after!.claimToken).toBeUndefined();
    expect(after!.leaseUntil).toBeUndefined();
    expect(await records.findById(handedOver._id).lean()).toMatchObject({ status: 'FAILED', lastError: DELIVERY_UNKNOWN, claimToken: 'token-b' });
    expect(await records.findById(live._id).lean()).toMatchObject({ status: 'SENDING', claimToken: 'token-c' });
  });
});
