import { reconciliationReport } from '../../subgraphs/orders/analytics/reconcile';
import { createAnalyticsService } from '../../subgraphs/orders/analytics/service';
import type { OrderDoc } from '../../subgraphs/orders/model';
import type { PaymentDoc } from '../../subgraphs/payments/model';
import type { ProductDoc, ReservationDoc } from '../../subgraphs/products/model';
import { paymentsFromDatabase } from '../reconcile';
import type { PaymentFate } from './deliveries';
import { emailFigures, type EmailFigures } from './emails';
import { expectedOrderStatus, expectedStatus, type Observer } from './observe';
import type { Catalog } from './shop';

/**
 * The end-of-run figures: every payment against the plan, orders per payment, the rollups against
 * the payments, `npm run reconcile`'s verdict, stock per product against what was sold and is
 * still held, failed jobs, and the customer emails against what the orders owe (emails.ts).
 */
export interface ChaosFigures {
  paymentsSucceeded: number;
  expectedSucceeded: number;
  ordersPaid: number;
  ordersPerPayment: { none: number; one: number; moreThanOne: number };
  /** Payments whose outcome or order is missing or wrong. */
  lost: number;
  /** Payments with more than one order. */
  duplicated: number;
  rollups: { succeeded: number; failed: number; revenueCents: number; expectedRevenueCents: number };
  reconciliation: { driftCount: number; unmatchedCount: number };
  /** Rollup figures off the payments, plus reconciliation drift and unmatched payments. */
  drift: number;
  /** Per product: |onHand off| + |reserved off|; only products that are off. */
  stockDriftByProduct: Record<string, { onHand: number; expectedOnHand: number; reserved: number; expectedReserved: number }>;
  stockDrift: number;
  failedJobs: number;
  /** Per queue: how many failed for good, and why (the first few reasons). */
  failedJobsByQueue: Record<string, { count: number; reasons: string[] }>;
  emails: EmailFigures;
}

type StoredPayment = Pick<PaymentDoc, '_id' | 'status' | 'amountCents' | 'lines' | 'reservationId'>;

function orderCounts(fates: Map<string, PaymentFate>, payments: StoredPayment[], orders: Pick<OrderDoc, 'paymentId' | 'status'>[]) {
  const byPayment = new Map<string, Array<Pick<OrderDoc, 'status'>>>();
  for (const o of orders) byPayment.set(o.paymentId, [...(byPayment.get(o.paymentId) ?? []), o]);
  const stored = new Map(payments.map((p) => [p._id, p]));
  const perPayment = { none: 0, one: 0, moreThanOne: 0 };
  let lost = 0;
  for (const [id, fate] of fates) {
    const found = byPayment.get(id) ?? [];
    perPayment[found.length === 0 ? 'none' : found.length === 1 ? 'one' : 'moreThanOne']++;
    const wrong = stored.get(id)?.status !== expectedStatus(fate) || !found.some((o) => o.status === expectedOrderStatus(fate));
    if (wrong) lost++;
  }
  return { perPayment, lost, duplicated: perPayment.moreThanOne };
}

async function stockFigures(o: Observer, catalog: Catalog, payments: StoredPayment[], paidIds: Set<string>) {
  const sold = new Map<string, number>();
  for (const p of payments.filter((x) => paidIds.has(x._id))) for (const l of p.lines) sold.set(l.productId, (sold.get(l.productId) ?? 0) + l.quantity);
  // Holds of payments never paid stay until they expire (15 minutes), since the customer may retry.
  const unpaid = payments.filter((p) => !paidIds.has(p._id)).map((p) => p.reservationId);
  const holds = await o.reservations.find({ _id: { $in: unpaid }, expiresAt: { $gt: new Date() } }, { lines: 1 }).lean<Pick<ReservationDoc, 'lines'>[]>();
  const held = new Map<string, number>();
  for (const r of holds) for (const l of r.lines) held.set(l.productId, (held.get(l.productId) ?? 0) + l.quantity);
  const products = await o.products.find({ _id: { $in: catalog.productIds } }, { onHand: 1, reserved: 1 }).lean<Pick<ProductDoc, '_id' | 'onHand' | 'reserved'>[]>();
  const byProduct: ChaosFigures['stockDriftByProduct'] = {};
  let total = 0;
  for (const p of products) {
    const expectedOnHand = catalog.initialStock - (sold.get(p._id) ?? 0);
    const expectedReserved = held.get(p._id) ?? 0;
    const off = Math.abs(p.onHand - expectedOnHand) + Math.abs(p.reserved - expectedReserved);
    if (off) byProduct[p._id] = { onHand: p.onHand, expectedOnHand, reserved: p.reserved, expectedReserved };
    total += off;
  }
  return { byProduct, total: total + (catalog.productIds.length - products.length) };
}

async function failedByQueue(o: Observer): Promise<ChaosFigures['failedJobsByQueue']> {
  const found: ChaosFigures['failedJobsByQueue'] = {};
  for (const q of o.queues) {
    const count = await q.getFailedCount();
    if (!count) continue;
    const jobs = await q.getFailed(0, 4);
    found[q.name] = { count, reasons: jobs.map((j) => `${j.id}: ${j.failedReason}`) };
  }
  return found;
}

export async function chaosFigures(o: Observer, fates: Map<string, PaymentFate>, catalog: Catalog, redis: { url: string; prefix: string }, mail: { webUrl: string; from: string }): Promise<ChaosFigures> {
  const ids = [...fates.keys()];
  const payments = await o.payments.find({ _id: { $in: ids } }, { status: 1, amountCents: 1, lines: 1, reservationId: 1 }).lean<StoredPayment[]>();
  const orders = await o.orders.find({ paymentId: { $in: ids } }, { paymentId: 1, status: 1 }).lean<Pick<OrderDoc, 'paymentId' | 'status'>[]>();
  const counts = orderCounts(fates, payments, orders);
  const paidIds = new Set(orders.filter((x) => x.status === 'PAID').map((x) => x.paymentId));
  const succeeded = payments.filter((p) => p.status === 'SUCCEEDED');
  const expectedRevenueCents = succeeded.reduce((s, p) => s + p.amountCents, 0);
  const allTime = { from: new Date(Date.UTC(2000, 0, 1)), to: new Date(Date.UTC(2100, 0, 1)) };
  const rollup = await createAnalyticsService(o.analytics).rangeFigures(allTime, 'USD');
  const rollupOff = [rollup.succeeded !== succeeded.length, rollup.revenueCents !== expectedRevenueCents, rollup.failed !== fates.size - succeeded.length].filter(Boolean).length;
  const report = await reconciliationReport({ orders: o.orders, analytics: o.analytics, payments: paymentsFromDatabase(o.paymentsDb), redis });
  const stock = await stockFigures(o, catalog, payments, paidIds);
  const failedJobsByQueue = await failedByQueue(o);
  const failedJobs = Object.values(failedJobsByQueue).reduce((sum, q) => sum + q.count, 0);
  const emails = await emailFigures(o, ids, mail);
  return {
    paymentsSucceeded: succeeded.length,
    expectedSucceeded: [...fates.values()].filter((f) => f !== 'failed').length,
    ordersPaid: paidIds.size,
    ordersPerPayment: counts.perPayment,
    lost: counts.lost,
    duplicated: counts.duplicated,
    rollups: { succeeded: rollup.succeeded, failed: rollup.failed, revenueCents: rollup.revenueCents, expectedRevenueCents },
    reconciliation: { driftCount: report.driftCount, unmatchedCount: report.unmatchedCount },
    drift: rollupOff + report.driftCount + report.unmatchedCount,
    stockDriftByProduct: stock.byProduct,
    stockDrift: stock.total,
    failedJobs,
    failedJobsByQueue,
    emails,
  };
}
