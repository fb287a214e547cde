import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import type { InternalCall } from '../lib/internal-client';
import type { Logger } from '../lib/logger';
import { addRestores, noRestores, restoreLostMessages, type OwedMessage } from '../lib/lost-jobs';
import type { OutboxPublisher } from '../lib/outbox';
import { settledPages, startSafetyNet, type PassResult, type SafetyNet, type SafetyNetSettings, type SettledDoc } from '../lib/safety-net';
import type { PaymentDoc, ResultRecord } from './model';

/**
 * The payments side of the safety net (lib/safety-net.ts): every outcome a payment recorded and
 * published must show in its order after the grace period. Orders is asked once per page
 * (`paymentOrderStates`, an internal query) and each result whose effect is missing is
 * republished, under its own job id, if Redis no longer has its job.
 */

/** What orders recorded for one payment (the internal query's answer). */
export interface OrderState {
  paymentId: string;
  status: string;
  refundedCents: number;
  /** The payment was canceled for good and its attempt asked for the held stock back. */
  releaseRequested: boolean;
}

/**
 * Whether the payment's order shows one recorded outcome (pure). A success shows as any status
 * but FAILED; a cancel as the release asked for (or a paid order, which a late cancel never
 * touches); a refund as the cumulative amount reached.
 */
export function orderReflects(order: OrderState | undefined, result: Pick<ResultRecord, 'outcome' | 'refundedCents'>): boolean {
  if (!order) return false;
  switch (result.outcome) {
    case 'failed':
      return true;
    case 'succeeded':
      return order.status !== 'FAILED';
    case 'canceled':
      return order.status !== 'FAILED' || order.releaseRequested;
    case 'refunded':
      return order.status !== 'FAILED' && order.refundedCents >= result.refundedCents;
  }
}

type SweptPayment = SettledDoc & Pick<PaymentDoc, 'results'>;

/** The published results of these payments that their orders do not show (pure). */
export function missingResults(payments: SweptPayment[], orders: Map<string, OrderState>): OwedMessage[] {
  return payments.flatMap((p) => {
    const done = new Set(p.outboxDone);
    return p.results
      .filter((r) => done.has(r.jobId) && !orderReflects(orders.get(p._id), r))
      .flatMap((r) => p.outbox.filter((e) => e.id === r.jobId))
      .map((entry) => ({ docId: p._id, entry, effect: 'missing' as const }));
  });
}

const ORDER_STATES = `query SafetyNetOrderStates($ids: [ID!]!) {
  paymentOrderStates(paymentIds: $ids) { paymentId status refundedCents releaseRequested }
}`;

/** Orders' answer for these payments, by payment id (payments without an order are absent). */
export async function orderStatesOf(orders: InternalCall, paymentIds: string[]): Promise<Map<string, OrderState>> {
  const data = await orders<{ paymentOrderStates: OrderState[] }>(ORDER_STATES, { ids: paymentIds });
  return new Map(data.paymentOrderStates.map((s) => [s.paymentId, s]));
}

export interface PaymentsSafetyNetDeps {
  payments: Model<PaymentDoc>;
  /** Internal calls to the orders subgraph. */
  orders: InternalCall;
  resultsQueue: Queue;
  publisher: OutboxPublisher;
  logger: Logger;
}

export async function sweepPaymentResults(deps: PaymentsSafetyNetDeps, window: { from: Date; to: Date }, pageSize: number): Promise<PassResult> {
  let result: PassResult = { ...noRestores(), checked: 0 };
  const restore = { model: deps.payments, queues: new Map([[deps.resultsQueue.name, deps.resultsQueue]]), publisher: deps.publisher, logger: deps.logger };
  // Every payment past PENDING recorded at least one outcome, and every outcome makes or moves an order.
  for await (const page of settledPages<SweptPayment>(deps.payments, window, pageSize, { status: { $ne: 'PENDING' } }, { results: 1 })) {
    const owed = missingResults(page, await orderStatesOf(deps.orders, page.map((p) => p._id)));
    result = { ...addRestores(result, await restoreLostMessages(owed, restore)), checked: result.checked + page.length };
  }
  return result;
}

export function startPaymentsSafetyNet(deps: PaymentsSafetyNetDeps, settings: SafetyNetSettings): SafetyNet {
  return startSafetyNet('payments safety net', settings, deps.logger, (window) => sweepPaymentResults(deps, window, settings.pageSize));
}
