import { newId } from '../../subgraphs/lib/ids';
import { internalClient } from '../../subgraphs/lib/internal-client';
import { QUEUES, openQueue, paymentResultJobId, paymentResultsQueue, queueDeps, reservationExpiryQueue, type PaymentResult, type QueueName } from '../../subgraphs/lib/queues';
import { openOrderQueues } from '../../subgraphs/orders/queues';
import { createRedis } from '../../subgraphs/lib/redis';
import type { TestStack } from './stack';

/** Helpers for the orders pipeline tests: real products reservations, real queues, polling. */
export { waitFor } from './wait';

export function pipelineQueues(stack: TestStack) {
  const redis = createRedis(stack.config.redisUrl);
  const orderQueues = openOrderQueues(redis, stack.config.queuePrefix);
  const expiry = openQueue(reservationExpiryQueue, queueDeps(redis, stack.config.queuePrefix));
  const queues = { ...orderQueues.byName, [QUEUES.reservationExpiry]: expiry.queue } as Record<QueueName, (typeof orderQueues.byName)[keyof typeof orderQueues.byName]>;
  return {
    /** The raw queues by name, to inspect jobs. */
    queues,
    /** What the orders worker and service publish through. */
    orderQueues,
    /** Publish a payment result as payments would (validated), optionally under a custom job id (forced redelivery). */
    publish: (r: PaymentResult, jobId = paymentResultJobId(r)) => queues[QUEUES.paymentResults].add(paymentResultsQueue.jobName, paymentResultsQueue.schema.parse(r), { jobId }),
    jobIds: async (name: QueueName) => (await queues[name].getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'])).map((j) => String(j.id)),
    async close() {
      await Promise.all([orderQueues.close(), expiry.close()]);
      await redis.quit();
    },
  };
}

export function productsClient(stack: TestStack) {
  return internalClient({ url: stack.config.peers.products, target: 'products', service: 'payments', internalSecret: stack.config.internalSecret });
}

export async function createProduct(stack: TestStack, onHand: number, priceCents = 1250) {
  const _id = newId('product');
  await stack.products.deps.products.create({ _id, sku: `SKU-${_id.slice(-10)}`, name: `Gadget ${_id.slice(-4)}`, priceCents, currency: 'USD', onHand });
  return { productId: _id, priceCents, name: `Gadget ${_id.slice(-4)}` };
}

export async function stockOf(stack: TestStack, productId: string) {
  const p = await stack.products.deps.products.findById(productId).lean();
  return { onHand: p!.onHand, reserved: p!.reserved };
}

/** A real hold on stock, as checkout would place it, and the payment result that would follow it. */
export async function reserve(stack: TestStack, product: { productId: string }, quantity: number, ttlSeconds?: number) {
  const reservationId = newId('reservation');
  const call = productsClient(stack);
  const res = await call<{ reserveStock: { id: string; lines: Array<{ productId: string; name: string; sku: string; unitPriceCents: number; quantity: number }> } }>(
    `mutation($input: ReserveStockInput!) { reserveStock(input: $input) { id lines { productId name sku unitPriceCents quantity } } }`,
    { input: { reservationId, lines: [{ productId: product.productId, quantity }], ...(ttlSeconds ? { ttlSeconds } : {}) } },
  );
  return { reservationId, lines: res.reserveStock.lines };
}

export function paymentResult(customerId: string, hold: { reservationId: string; lines: PaymentResult['lines'] }, overrides: Partial<PaymentResult> = {}): PaymentResult {
  const amountCents = hold.lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
  return {
    paymentId: newId('payment'),
    customerId,
    outcome: 'succeeded',
    lines: hold.lines,
    amountCents,
    currency: 'USD',
    refundedCents: 0,
    reservationId: hold.reservationId,
    shippingAddress: { name: 'Ada', line1: '12 Analytical Row', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
    occurredAt: new Date().toISOString(),
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    ...overrides,
  };
}
