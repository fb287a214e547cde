import type { Job } from 'bullmq';
import { freePort } from '../scripts/backing/processes';
import { startMailpit, type Mailpit } from '../scripts/backing/mail';
import { newId } from '../subgraphs/lib/ids';
import { QUEUES, notificationsQueue, type Notification } from '../subgraphs/lib/queues';
import type { RunningService } from '../subgraphs/lib/service';
import type { OrderDoc } from '../subgraphs/orders/model';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { aCustomer, inbox, notificationRecords, startNotifications, waitForRecord, type Inbox } from './notifications-flows';
import { createProduct, paymentResult, pipelineQueues, reserve, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

/**
 * Every order step is one email, through a real SMTP server (Mailpit, read through its API): a job
 * delivered again, two worker replicas, a refusal, an outage and an admin's resend never make it
 * two, or none without a trace.
 */
describe('customer emails are sent exactly once per order step', () => {
  let stack: TestStack;
  let ordersWorker: RunningService;
  let mailpit: Mailpit;
  let mail: Inbox;
  let q: ReturnType<typeof pipelineQueues>;
  let admin: string;

  beforeAll(async () => {
    // Only @example.com mailboxes exist on this server: anything else is refused with 550.
    [stack, mailpit] = await Promise.all([startStack(), startMailpit({ allowedRecipients: '@example\\.com$' })]);
    mail = inbox(mailpit.webUrl);
    ordersWorker = await startOrdersWorker({ ...stack.config, port: 0 }, { relayIntervalMs: 500 });
    q = pipelineQueues(stack);
    admin = await stack.tokenFor(newId('customer'), 'ADMIN');
  });
  afterAll(async () => {
    await q?.close();
    await ordersWorker?.stop();
    await stack?.stop();
    await mailpit?.stop();
  });

  const notifications = () => q.queues[QUEUES.notifications];
  /** A customer's order, paid through the real pipeline (payment result → orders worker → outbox). */
  async function paidOrder(customerId: string): Promise<OrderDoc> {
    const product = await createProduct(stack, 5, 4_500);
    const result = paymentResult(customerId, await reserve(stack, product, 2));
    await q.publish(result);
    return waitFor(`order of ${result.paymentId}`, () => stack.orders.deps.orders.findOne({ paymentId: result.paymentId, outboxPending: 0 }).lean<OrderDoc>());
  }
  const confirmationJob = (order: OrderDoc) => waitFor(`confirmation job of ${order._id}`, async () => (await notifications().getJob(`notify-${order._id}-ORDER_PLACED`)) as Job<Notification> | undefined);
  const completed = (jobId: string) => waitFor(`job ${jobId} completed`, async () => (await notifications().getJob(jobId))?.getState().then((s) => s === 'completed'), 30_000);
  const gql = (query: string, variables: Record<string, unknown> = {}) => stack.gql(query, variables, { token: admin });

  it('the same job delivered three times, to two worker replicas at once, sends one email', async () => {
    const customer = await aCustomer(stack);
    const order = await paidOrder(customer.id);
    const job = await confirmationJob(order);
    // Redelivered twice more (as after a trimmed completed set): same payload, other job ids.
    const ids = [job.id!, `${job.id}-redelivery-1`, `${job.id}-redelivery-2`];
    for (const id of ids.slice(1)) await notifications().add(notificationsQueue.jobName, job.data, { jobId: id });

    const replicas = await Promise.all([startNotifications(stack, mailpit.smtpUrl), startNotifications(stack, mailpit.smtpUrl)]);
    try {
      for (const id of ids) await completed(id);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }

    const received = await mail.messagesTo(customer.email);
    expect(received).toHaveLength(1);
    expect(received[0].Subject).toBe(`Order ${order._id} confirmed`);
    const record = await notificationRecords(stack).findById(`${order._id}:ORDER_PLACED`).lean();
    expect(record).toMatchObject({ status: 'SENT', attempts: 1, recipient: customer.email, subject: `Order ${order._id} confirmed` });
    expect(received[0].MessageID).toBe(record!.messageId.slice(1, -1));
    const outcomes = await Promise.all(ids.map(async (id) => (await notifications().getJob(id))!.returnvalue.outcome));
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'sent')).toEqual(['already-sent', 'already-sent']);
  });

  it('a mailbox the SMTP server refuses (550) is recorded FAILED at once and shown to admins, without retries', async () => {
    const customer = await aCustomer(stack, { domain: 'bounce.test' });
    const worker = await startNotifications(stack, mailpit.smtpUrl);
    try {
      const order = await paidOrder(customer.id);
      const record = await waitForRecord(stack, 'the refused email', { _id: `${order._id}:ORDER_PLACED`, status: 'FAILED' });
      expect(record).toMatchObject({ attempts: 1, recipient: customer.email });
      expect(record.lastError).toContain('550');

      const seen = await gql(`query($id: ID!) { order(id: $id) { notifications { event status attempts lastError sentAt recipient } } }`, { id: order._id });
      expect(seen.errors).toBeUndefined();
      expect(seen.data.order.notifications).toEqual([{ event: 'ORDER_PLACED', status: 'FAILED', attempts: 1, lastError: record.lastError, sentAt: null, recipient: customer.email }]);
      const failed = await gql(`{ failedNotifications { id event status order { id } } }`);
      expect(failed.data.failedNotifications).toContainEqual({ id: `${order._id}:ORDER_PLACED`, event: 'ORDER_PLACED', status: 'FAILED', order: { id: order._id } });
      await completed(`notify-${order._id}-ORDER_PLACED`);
      expect((await notifications().getJob(`notify-${order._id}-ORDER_PLACED`))!.returnvalue.outcome).toBe('failed');
    } finally {
      await worker.stop();
    }
  });

  it('customers cannot see the email records of their orders; only admins can', async () => {
    const customer = await aCustomer(stack);
    const order = await paidOrder(customer.id);
    const asCustomer = await stack.gql(`query($id: ID!) { order(id: $id) { id notifications { status } } }`, { id: order._id }, { token: await stack.tokenFor(customer.id) });
    expect(asCustomer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const resend = await stack.gql(`mutation($id: ID!) { resendNotification(orderId: $id, event: ORDER_PLACED) { status } }`, { id: order._id }, { token: await stack.tokenFor(customer.id) });
    expect(resend.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('an admin resends an email: the customer gets a second copy, recognisable by the same Message-ID', async () => {
    const customer = await aCustomer(stack);
    const worker = await startNotifications(stack, mailpit.smtpUrl);
    try {
      const order = await paidOrder(customer.id);
      const [first] = await mail.waitForMessages(customer.email, 1);
      await waitForRecord(stack, 'the first send recorded', { _id: `${order._id}:ORDER_PLACED`, status: 'SENT' });

      const res = await gql(`mutation($id: ID!) { resendNotification(orderId: $id, event: ORDER_PLACED) { event status resends } }`, { id: order._id });
      expect(res.errors).toBeUndefined();
      expect(res.data.resendNotification).toEqual({ event: 'ORDER_PLACED', status: 'PENDING', resends: 1 });
      const both = await mail.waitForMessages(customer.email, 2);
      expect(both.map((m) => m.MessageID)).toEqual([first.MessageID, first.MessageID]);
      const copy = both.find((m) => m.ID !== first.ID)!;
      expect((await mail.headers(copy.ID))['X-Notification-Resend']).toEqual(['1']);
      expect(await waitForRecord(stack, 'the resend recorded', { _id: `${order._id}:ORDER_PLACED`, status: 'SENT', resends: 1 })).toMatchObject({ attempts: 2 });

      const unknown = await gql(`mutation($id: ID!) { resendNotification(orderId: $id, event: DELIVERED) { status } }`, { id: order._id });
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await worker.stop();
    }
  });

  it('an unreachable SMTP server delays the email without losing it: retried with backoff, sent once it is back', async () => {
    const customer = await aCustomer(stack);
    const port = await freePort(); // nothing listens here yet
    const worker = await startNotifications(stack, `smtp://127.0.0.1:${port}`, { smtpTimeoutMs: 2_000 });
    let late: Mailpit | undefined;
    try {
      const order = await paidOrder(customer.id);
      const waiting = await waitForRecord(stack, 'two refused connections', { _id: `${order._id}:ORDER_PLACED`, status: 'PENDING', attempts: { $gte: 2 } });
      expect(waiting.lastError).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);

      late = await startMailpit({ smtpPort: port });
      const received = await inbox(late.webUrl).waitForMessages(customer.email, 1, 30_000);
      expect(received).toHaveLength(1);
      expect(await waitForRecord(stack, 'the send recorded', { _id: `${order._id}:ORDER_PLACED`, status: 'SENT' })).toMatchObject({ lastError: null });
    } finally {
      await worker.stop();
      await late?.stop();
    }
  });
});
