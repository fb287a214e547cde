import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import { JOBS, enqueue, paymentResultSchema, type PaymentResult } from '../lib/queues';
import { OUTBOX_PENDING, type PaymentDoc, type ResultRecord } from './model';

/**
 * The transactional outbox for payment results. The single-document update that records an
 * outcome also pushes its job id onto `payment.outbox`; publishPending() then adds the job to
 * the payment-results queue and pulls the id. If Redis is down or we crash in between, the id
 * stays in the outbox and the relay (payments worker) publishes it later. Job ids are
 * deterministic, so publishing twice is one job. `$pull` and `$addToSet` are atomic on their own:
 * they never undo a concurrent ledger update of the same payment.
 */
export interface ResultPublisher {
  publish(result: PaymentResult, jobId: string): Promise<void>;
}

/** Adds to the payment-results queue, failing fast while Redis is not connected (the outbox keeps the result). */
export function queuePublisher(queue: Queue, redis: Redis, timeoutMs = 3000): ResultPublisher {
  return {
    async publish(result, jobId) {
      if (redis.status !== 'ready') throw new Error(`Redis not connected (${redis.status})`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`publishing timed out after ${timeoutMs}ms`)), timeoutMs);
      });
      try {
        await Promise.race([enqueue(queue, JOBS.paymentResult, paymentResultSchema, result, jobId), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The queue payload for one recorded outcome of a payment. */
export function resultPayload(payment: PaymentDoc, record: ResultRecord): PaymentResult {
  return paymentResultSchema.parse({
    paymentId: payment._id,
    customerId: payment.customerId,
    outcome: record.outcome,
    lines: payment.lines.map((l) => ({ productId: l.productId, name: l.name, sku: l.sku ?? undefined, unitPriceCents: l.unitPriceCents, quantity: l.quantity })),
    totalCents: payment.amountCents,
    currency: payment.currency,
    refundedCents: record.refundedCents,
    reservationId: payment.reservationId,
    shippingAddress: payment.shippingAddress ? withoutEmpty(payment.shippingAddress) : undefined,
    occurredAt: new Date(record.occurredAt).toISOString(),
    failureReason: record.failureReason ?? undefined,
    requestId: record.requestId,
  });
}

function withoutEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined)) as T;
}

export interface OutboxDeps {
  payments: Model<PaymentDoc>;
  publisher: ResultPublisher;
  logger: Logger;
}

export interface PublishOutcome {
  /** How many results were added to the queue. */
  published: number;
  /** The payment after its outbox was cleared; null when nothing was cleared. */
  payment: PaymentDoc | null;
}

/**
 * Publishes the outbox entries of one payment, in order, stopping at the first failure; then ONE
 * update pulls what was published (a crash before it only means publishing again, a no-op).
 * Never throws.
 */
export async function publishPending(deps: OutboxDeps, payment: PaymentDoc): Promise<PublishOutcome> {
  const cleared: string[] = [];
  const confirmed: string[] = [];
  for (const jobId of payment.outbox) {
    const record = payment.results.find((r) => r.jobId === jobId);
    if (!record) {
      deps.logger.error('outbox entry without a result record; dropping it', { paymentId: payment._id, jobId });
      cleared.push(jobId);
      continue;
    }
    try {
      await deps.publisher.publish(resultPayload(payment, record), jobId);
    } catch (err) {
      deps.logger.warn('payment result not published yet; the outbox relay will retry', { paymentId: payment._id, jobId, error: String(err) });
      break;
    }
    cleared.push(jobId);
    confirmed.push(jobId);
  }
  if (!cleared.length) return { published: 0, payment: null };
  try {
    const update = { $pull: { outbox: { $in: cleared } }, ...(confirmed.length ? { $addToSet: { published: { $each: confirmed } } } : {}) };
    const updated = await deps.payments.findOneAndUpdate({ _id: payment._id }, update, { new: true }).lean<PaymentDoc>();
    return { published: confirmed.length, payment: updated };
  } catch (err) {
    deps.logger.warn('published results stay in the outbox; the relay will publish them again (same job ids)', { paymentId: payment._id, error: String(err) });
    return { published: confirmed.length, payment: null };
  }
}

/**
 * One relay pass: publish what earlier attempts left in outboxes (Redis was down, or the process
 * died between recording and publishing). Entries younger than `minAgeMs` are left to the request
 * that created them. Returns how many results were published.
 */
export async function relayOutbox(deps: OutboxDeps, opts: { minAgeMs?: number; batchSize?: number } = {}): Promise<number> {
  const olderThan = new Date(Date.now() - (opts.minAgeMs ?? 0));
  const pending = await deps.payments
    // Served by the partial index on updatedAt over payments with a pending outbox (model.ts).
    .find({ ...OUTBOX_PENDING, updatedAt: { $lte: olderThan } })
    .sort({ updatedAt: 1 })
    .limit(opts.batchSize ?? 100)
    .lean<PaymentDoc[]>();
  let published = 0;
  for (const payment of pending) published += (await publishPending(deps, payment)).published;
  return published;
}

/** Runs relayOutbox every `intervalMs`, never two passes at once. */
export function startRelayLoop(deps: OutboxDeps, opts: { intervalMs: number; minAgeMs?: number }) {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = relayOutbox(deps, { minAgeMs: opts.minAgeMs })
      .then((n) => n && deps.logger.info('outbox relay published results', { count: n }))
      .catch((err) => deps.logger.warn('outbox relay pass failed', { error: String(err) }))
      .finally(() => {
        running = null;
      });
  }, opts.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
