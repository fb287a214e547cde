import { UnrecoverableError } from 'bullmq';
import type { ServiceConfig } from '../lib/config';
import { AppError } from '../lib/errors';
import { internalClient } from '../lib/internal-client';
import type { Logger } from '../lib/logger';
import { startOutboxRelay } from '../lib/outbox';
import { queueDeps, refundJobId, refundRequestsQueue, type RefundRequest } from '../lib/queues';
import { DEFAULT_SAFETY_NET, type SafetyNetSettings } from '../lib/safety-net';
import { createValidatedWorker } from '../lib/worker';
import { startWorkerService } from '../lib/worker-service';
import { ensurePaymentsIndexes } from './index';
import { paymentsModels, type PaymentDoc } from './model';
import { refundPayment, type RefundDeps } from './refunds';
import { closePaymentsDeps, paymentsDeps } from './service';
import { startPaymentsSafetyNet } from './sweep';

export interface PaymentsWorkerOptions {
  /** How often the outbox relay looks for unpublished results. */
  relayIntervalMs?: number;
  /** Leave results this fresh to the request that recorded them. */
  relayMinAgeMs?: number;
  /** The sweep for published results whose order never showed them (sweep.ts). */
  safetyNet?: Partial<SafetyNetSettings>;
}

/**
 * A refund asked for by orders (order canceled, or oversold), done once per refundJobId: that id
 * is the Stripe idempotency key and the payment's refund record key. Requests that can never
 * succeed fail at once; a payment whose success we have not recorded yet is retried with backoff.
 */
export async function handleRefundRequest(deps: RefundDeps, request: RefundRequest, logger: Logger): Promise<void> {
  const payment = await deps.payments.findById(request.paymentId).lean<PaymentDoc>();
  if (!payment) throw new UnrecoverableError(`payment ${request.paymentId} does not exist`);
  if (payment.status === 'PENDING') throw new Error('payment success not recorded yet; retrying');
  if (request.amountCents === undefined && payment.refundedCents >= payment.amountCents) {
    logger.info('refund request for a payment already fully refunded', { paymentId: payment._id, orderId: request.orderId });
    return;
  }
  try {
    const input = { paymentId: request.paymentId, amountCents: request.amountCents, key: refundJobId(request), reason: request.reason, requestId: request.requestId };
    await refundPayment(deps, input, payment);
  } catch (err) {
    if (err instanceof AppError && ['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND'].includes(err.code)) throw new UnrecoverableError(err.message);
    throw err;
  }
}

/** The payments worker process: the outbox relay, the safety net, and the refund-requests consumer. */
export function startPaymentsWorker(config: ServiceConfig, opts: PaymentsWorkerOptions = {}) {
  return startWorkerService(
    {
      name: 'payments-worker',
      database: 'payments',
      async setup({ conn, redis, logger }) {
        const models = paymentsModels(conn);
        await ensurePaymentsIndexes(models);
        const deps = paymentsDeps(config, models, logger, redis!);
        const relay = startOutboxRelay(models.payments, deps.publisher, logger, { intervalMs: opts.relayIntervalMs ?? 5000, minAgeMs: opts.relayMinAgeMs ?? 2000 });
        const orders = internalClient({ url: config.peers.orders, target: 'orders', service: 'payments', internalSecret: config.internalSecret, timeoutMs: 15_000 });
        const safetyNet = startPaymentsSafetyNet({ payments: models.payments, orders, resultsQueue: deps.resultsQueue.queue, publisher: deps.publisher, logger }, { ...DEFAULT_SAFETY_NET, ...opts.safetyNet });
        const refunds = createValidatedWorker(refundRequestsQueue, (request) => handleRefundRequest(deps, request, logger), { ...queueDeps(redis!, config.queuePrefix), logger });
        return { deps, relay, safetyNet, workers: [refunds] };
      },
      closers: ({ deps, relay, safetyNet }) => [() => relay.stop(), () => safetyNet.stop(), () => closePaymentsDeps(deps, false)],
    },
    config,
  );
}
