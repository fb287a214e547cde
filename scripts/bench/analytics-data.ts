/**
 * bench:analytics data: deterministic orders with their whole analytics lifecycle (paid, failed
 * then paid, shipped, delivered, canceled then refunded, partly refunded, oversold...), and the
 * rollups those events make, seeded in bulk.
 *
 * Why bulk: applying a million orders' events one by one through applyAnalyticsEvent (four round
 * trips each) would take hours. Instead every event goes through the worker's own pure plan
 * (planIncrements, then incrementsOf: exactly the `$inc` applyAnalyticsEvent sends for it), the
 * increments are summed per rollup document in memory, and each document is written with ONE
 * `$inc` upsert of the sums (plus the key fields the worker sets on insert, and the empty `pending`
 * it leaves once every event is released). `$inc` adds, so the result is the document the worker
 * would have built; analytics-proof.ts checks that, field for field and BSON type for type, against
 * the real apply path on a sample. (A sum past 2^31 would be sent as a double where the server's
 * `$inc` widens to int64; no bench figure comes near.)
 */
import type { mongo } from 'mongoose';
import type { AnalyticsEvent, AnalyticsKind } from '../../subgraphs/lib/queues';
import type { OrderDoc, OrderStatus } from '../../subgraphs/orders/model';
import { rollupModel, type AnalyticsModels } from '../../subgraphs/orders/analytics/model';
import { incrementsOf, planIncrements, type RollupKind } from '../../subgraphs/orders/analytics/plan';

export interface BenchOrder {
  events: AnalyticsEvent[];
  order: Omit<OrderDoc, 'shippingAddress' | 'tracking' | 'failureReason'>;
}

interface Step {
  kind: AnalyticsKind;
  to: OrderStatus;
  /** This step's refund (order.refunded). */
  refundCents?: number;
}

const HOUR_MS = 3_600_000;

/** Where an order's life goes, from two pseudo-random numbers in [0, 100): 8% fail, 2% fail then pay, 1% oversold; the paid mostly ship. */
function lifecycle(u: number, v: number, amountCents: number): Step[] {
  if (u < 8) return [{ kind: 'order.failed', to: 'FAILED' }];
  if (u < 11 && u >= 10) return [{ kind: 'order.oversold', to: 'OVERSOLD_REFUNDED' }];
  const paid: Step[] = u < 10 ? [{ kind: 'order.failed', to: 'FAILED' }, { kind: 'order.paid', to: 'PAID' }] : [{ kind: 'order.paid', to: 'PAID' }];
  const moved = (...to: OrderStatus[]): Step[] => to.map((s) => ({ kind: 'order.status_changed', to: s }));
  if (v < 40) return paid;
  if (v < 55) return [...paid, ...moved('PROCESSING')];
  if (v < 70) return [...paid, ...moved('PROCESSING', 'SHIPPED')];
  if (v < 85) return [...paid, ...moved('PROCESSING', 'SHIPPED', 'DELIVERED')];
  if (v < 90) return [...paid, { kind: 'order.canceled', to: 'CANCELED' }, { kind: 'order.refunded', to: 'CANCELED', refundCents: amountCents }];
  if (v < 95) return [...paid, { kind: 'order.refunded', to: 'PARTIALLY_REFUNDED', refundCents: Math.floor(amountCents / 4) }];
  return [...paid, { kind: 'order.refunded', to: 'REFUNDED', refundCents: amountCents }];
}

/** The event id the orders domain gives each fact (orders/events.ts analyticsEventId). */
function eventId(orderId: string, step: Step, cumulativeRefund: number): string {
  if (step.kind === 'order.refunded') return `${orderId}-refunded-${cumulativeRefund}`;
  if (step.kind === 'order.status_changed') return `${orderId}-status-${step.to}`;
  return `${orderId}-${step.kind.slice('order.'.length)}`;
}

/**
 * Order i, placed within the two years before `now` (minute resolution): 1–2 lines of 500
 * products, 5,000 customers, its events in order and the order document as it ends up.
 */
export function makeOrder(i: number, now: Date): BenchOrder {
  const r = (k: number) => ((i * 2654435761 + k * 40503) >>> 0) % 1_000_003;
  const placedAt = new Date(now.getTime() - (1 + (r(1) % (730 * 24 * 60))) * 60_000);
  const lines = Array.from({ length: 1 + (r(2) % 2) }, (_, j) => ({
    productId: `prod_bench${(r(3 + j) % 500).toString().padStart(4, '0')}`,
    name: 'Bench item',
    unitPriceCents: 500 + (r(5 + j) % 20) * 100,
    quantity: 1 + (r(7 + j) % 3),
  }));
  const amountCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
  const orderId = `ord_bench${i}`;
  const base = { orderId, paymentId: `pay_bench${i}`, customerId: `cus_bench${r(11) % 5000}`, lines, amountCents, placedAt: placedAt.toISOString(), currency: 'USD', requestId: 'bench' };
  let status: OrderStatus | null = null;
  let refundedCents = 0;
  const events = lifecycle(r(9) % 100, r(12) % 100, amountCents).map((step, n): AnalyticsEvent => {
    const refundCents = step.refundCents ?? 0;
    refundedCents += refundCents;
    const event: AnalyticsEvent = {
      ...base,
      eventId: eventId(orderId, step, refundedCents),
      kind: step.kind,
      refundCents,
      refundedCents,
      fromStatus: status,
      toStatus: step.to,
      occurredAt: new Date(placedAt.getTime() + n * HOUR_MS).toISOString(),
    };
    status = step.to;
    return event;
  });
  const order = {
    _id: orderId, paymentId: base.paymentId, customerId: base.customerId, status: status as unknown as OrderStatus, lines, amountCents, refundedCents, currency: 'USD',
    reservationId: `res_bench${i}`, placedAt, statusHistory: [], outbox: [], outboxDone: [], outboxPending: 0, createdAt: placedAt, updatedAt: placedAt,
  };
  return { events, order };
}

interface FoldedDoc {
  /** The rollup document's _id. */
  key: string;
  kind: RollupKind;
  meta: Record<string, string>;
  inc: Record<string, number>;
}

/** Every event's planned increments, summed per rollup document (the worker's plan, folded in memory). */
export class RollupFold {
  private readonly docs = new Map<string, FoldedDoc>();
  events = 0;

  add(event: AnalyticsEvent): void {
    this.events++;
    for (const target of planIncrements(event)) {
      // A period's figures and its products share an _id (in two collections): the kind is part of the map key.
      const mapKey = `${target.kind}/${target.key}`;
      let doc = this.docs.get(mapKey);
      if (!doc) this.docs.set(mapKey, (doc = { key: target.key, kind: target.kind, meta: target.meta, inc: {} }));
      // Paths whose sum comes back to 0 (byStatus.PAID after a shipment) are kept: the worker's $inc leaves them at 0 too.
      for (const [path, n] of Object.entries(incrementsOf(target))) doc.inc[path] = (doc.inc[path] ?? 0) + n;
    }
  }

  get documents(): number {
    return this.docs.size;
  }

  /** One `$inc` upsert per rollup document (unordered bulkWrites of 500), into the given (empty) rollup collections. */
  async write(models: AnalyticsModels): Promise<number> {
    const byKind = new Map<RollupKind, mongo.AnyBulkWriteOperation<{ _id: string }>[]>();
    for (const doc of this.docs.values()) {
      const ops = byKind.get(doc.kind) ?? [];
      ops.push({ updateOne: { filter: { _id: doc.key }, update: { $inc: doc.inc, $setOnInsert: { ...doc.meta, pending: [] } }, upsert: true } });
      byKind.set(doc.kind, ops);
    }
    for (const [kind, ops] of byKind) {
      const collection = rollupModel(models, kind).collection;
      for (let i = 0; i < ops.length; i += 500) await collection.bulkWrite(ops.slice(i, i + 500) as never, { ordered: false });
    }
    return this.docs.size;
  }
}
