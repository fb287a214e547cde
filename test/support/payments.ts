import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import { newId } from '../../subgraphs/lib/ids';
import { QUEUES, bullPrefix, type PaymentResult } from '../../subgraphs/lib/queues';
import type { PaymentDoc } from '../../subgraphs/payments/model';
import { deliverWebhook, webhookUrlFor, type SimulatedEvent } from '../../subgraphs/payments/simulated-webhooks';
import type { TestStack } from './stack';
import { waitFor as waitForShared } from './wait';

/** Helpers for payments tests: seed a payment as checkout leaves it, deliver signed webhooks, read what was published. */
export async function seedPayment(stack: TestStack, overrides: Partial<PaymentDoc> = {}): Promise<PaymentDoc> {
  const lines = [
    { productId: newId('product'), name: 'Widget', sku: 'W-1', unitPriceCents: 1250, quantity: 2 },
    { productId: newId('product'), name: 'Gadget', sku: 'G-1', unitPriceCents: 500, quantity: 1 },
  ];
  const doc = await stack.payments.deps.payments.create({
    _id: newId('payment'),
    customerId: newId('customer'),
    status: 'PENDING',
    lines,
    amountCents: 3000,
    currency: 'USD',
    reservationId: newId('reservation'),
    intentId: `pi_test_${newId('payment').slice(-12)}`,
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
    ...overrides,
  });
  return doc.toObject() as PaymentDoc;
}

export function webhookSecret(stack: TestStack): string {
  return stack.config.stripe.webhookSecret;
}

export function deliver(stack: TestStack, event: SimulatedEvent, secret = webhookSecret(stack)) {
  return deliverWebhook(webhookUrlFor(stack.config.peers.payments), event, secret);
}

export async function loadPayment(stack: TestStack, id: string): Promise<PaymentDoc> {
  return (await stack.payments.deps.payments.findById(id).lean<PaymentDoc>())!;
}

/** Every job on the payment-results queue under this stack's prefix, in any state. */
export function resultsQueue(redisUrl: string, prefix: string): Queue {
  return new Queue(QUEUES.paymentResults, { connection: { url: redisUrl, maxRetriesPerRequest: null } as ConnectionOptions, prefix: bullPrefix(prefix, QUEUES.paymentResults) });
}

export async function publishedResults(queue: Queue, paymentId?: string): Promise<Array<Job<PaymentResult>>> {
  const jobs = (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'paused'])) as Array<Job<PaymentResult>>;
  return jobs.filter((j) => !paymentId || j.data.paymentId === paymentId).sort((a, b) => a.timestamp - b.timestamp);
}

/** The payments tests' argument order for the shared poller (./wait). */
export function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  return waitForShared(what, probe, timeoutMs);
}
