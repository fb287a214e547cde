/**
 * The journey count-round-trips.ts measures: the whole system in one process (the integration
 * tests' harness), a shopper who checks out one product through the gateway, then one signed
 * payment_intent.succeeded webhook, waited on until the order is PAID, the stock sold and the
 * analytics event applied. Only the part after checkout is counted.
 */
import { newId } from '../subgraphs/lib/ids';
import { buildIntentEvent } from '../subgraphs/payments/simulated-webhooks';
import { startProductsWorker } from '../subgraphs/products/worker';
import { startPaymentsWorker } from '../subgraphs/payments/worker';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { startAnalyticsWorker } from '../subgraphs/orders/analytics/worker-main';
import type { RunningService } from '../subgraphs/lib/service';
import { registerCustomer } from '../test/auth-flows';
import { deliver } from '../test/support/payments';
import { startStack } from '../test/support/stack';
import { waitFor } from '../test/support/wait';
import { Queue } from 'bullmq';
import { QUEUES, bullPrefix } from '../subgraphs/lib/queues';

type Tally = Map<string, number>;
export interface Counting {
  countIdle(ms: number): Promise<Tally>;
  startCounting(): void;
  stopCounting(): Tally;
  log(m: string): void;
}

function ok<T>(res: { data?: T; errors?: unknown[] }): T {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

export async function runPaidCheckout(counting: Counting): Promise<{ counted: Tally; idle: Tally; ms: number }> {
  const stack = await startStack({ nodeEnv: 'development' });
  const workers: RunningService[] = [];
  try {
    for (const start of [startProductsWorker, startPaymentsWorker, startOrdersWorker, startAnalyticsWorker]) workers.push(await start({ ...stack.config, port: 0 }));
    const productId = newId('product');
    await stack.products.deps.products.create({ _id: productId, sku: `RT-${productId.slice(-8)}`, name: 'Desk lamp', priceCents: 4_500, currency: 'USD', onHand: 10 });
    const shopper = await registerCustomer(stack);
    const token = shopper.accessToken;
    const address = ok<any>(await stack.gql(`mutation($input: AddAddressInput!) { addAddress(input: $input) { id } }`, { input: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } }, { token })).addAddress;
    ok(await stack.gql(`mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { id } }`, { p: productId }, { token }));
    const checkout = ok<any>(await stack.gql(`mutation($input: CheckoutInput!) { checkout(input: $input) { payment { id amountCents } } }`, { input: { shippingAddressId: address.id } }, { token })).checkout;
    counting.log(`checked out payment ${checkout.payment.id}; letting the system settle`);
    await new Promise((r) => setTimeout(r, 3_000));

    const started = Date.now();
    counting.startCounting();
    const payment = (await stack.payments.deps.payments.findById(checkout.payment.id).lean())!;
    const event = buildIntentEvent({ payment, outcome: 'succeeded' });
    const res = await deliver(stack, event);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    // Waited on through Redis (BullMQ job counts), so the waiting adds no database command.
    const completed = (name: string) => new Queue(name, { connection: { url: stack.config.redisUrl, maxRetriesPerRequest: null }, prefix: bullPrefix(stack.config.queuePrefix, name) });
    const [results, analytics] = [completed(QUEUES.paymentResults), completed(QUEUES.analytics)];
    try {
      await waitFor('the order and its analytics event', async () => (await results.getJobCountByTypes('completed')) >= 1 && (await analytics.getJobCountByTypes('completed')) >= 1, 30_000);
    } finally {
      await Promise.all([results.close(), analytics.close()]);
    }
    // Outbox bookkeeping after a publish is the last write; give it a moment.
    await new Promise((r) => setTimeout(r, 1_000));
    const counted = counting.stopCounting();
    const order = await stack.orders.deps.orders.findOne({ paymentId: checkout.payment.id }).lean();
    const product = await stack.products.deps.products.findById(productId).lean();
    if (order?.status !== 'PAID' || product?.onHand !== 9) throw new Error(`expected a PAID order and 9 on hand, got ${order?.status} and ${product?.onHand}`);
    const ms = Date.now() - started;
    const idle = await counting.countIdle(ms);
    return { counted, idle, ms };
  } finally {
    for (const w of workers) await w.stop();
    await stack.stop();
  }
}
