import type { Connection } from 'mongoose';
import type { ServiceConfig } from '../../lib/config';
import { internalClient, InternalCallError, type InternalCall } from '../../lib/internal-client';
import { orderModel } from '../model';
import { allAnalyticsModels, analyticsModels, type AnalyticsModels } from './model';
import { reconciliationReport, type PaymentFact, type ReconciliationReport } from './reconcile';
import { createAnalyticsService, type AnalyticsService } from './service';

/** Everything the orders subgraph needs for analytics: bind once in setup(), put on the context. */
export interface AnalyticsModule {
  models: AnalyticsModels;
  /** For ensureIndexes(). */
  allModels: ReturnType<typeof allAnalyticsModels>;
  service: AnalyticsService;
  reconciliation(from?: Date, to?: Date): Promise<ReconciliationReport>;
}

/** What resolvers ask of analytics (on the context as `services.analytics`): the figures and the reconciliation, not the models. */
export type AnalyticsServices = AnalyticsService & Pick<AnalyticsModule, 'reconciliation'>;

export function analyticsServices(module: AnalyticsModule): AnalyticsServices {
  return { ...module.service, reconciliation: module.reconciliation };
}

const PAYMENTS_QUERY = `query ReconciliationPayments($r: [_Any!]!) {
  _entities(representations: $r) { ... on Payment { id status amountCents refundedCents currency } }
}`;

/**
 * The orders subgraph may not read the payments database, so it asks the payments subgraph for
 * the payments of the orders it checks, through the federation entity resolver (as SERVICE).
 * A payment that does not exist fails its entity (FORBIDDEN): then ids are asked one by one.
 */
export async function paymentsFromGraph(call: InternalCall, ids: string[]): Promise<PaymentFact[]> {
  const found: PaymentFact[] = [];
  const ask = async (batch: string[]) =>
    (await call<{ _entities: Array<PaymentFact | null> }>(PAYMENTS_QUERY, { r: batch.map((id) => ({ __typename: 'Payment', id })) }))._entities.filter((p): p is PaymentFact => !!p);
  for (let i = 0; i < ids.length; i += 100) {
    const batch = [...new Set(ids.slice(i, i + 100))];
    try {
      found.push(...(await ask(batch)));
    } catch (err) {
      if (!(err instanceof InternalCallError)) throw err;
      for (const id of batch) {
        try {
          found.push(...(await ask([id])));
        } catch (one) {
          if (!(one instanceof InternalCallError) || (one.code !== 'FORBIDDEN' && one.code !== 'NOT_FOUND')) throw one;
        }
      }
    }
  }
  return found;
}

export function analyticsModule(conn: Connection, config: ServiceConfig): AnalyticsModule {
  const models = analyticsModels(conn);
  const payments = internalClient({ url: config.peers.payments, target: 'payments', service: 'orders', internalSecret: config.internalSecret, timeoutMs: 15_000 });
  return {
    models,
    allModels: allAnalyticsModels(models),
    service: createAnalyticsService(models),
    reconciliation: (from, to) =>
      reconciliationReport(
        {
          orders: orderModel(conn),
          analytics: models,
          payments: (_range, ids) => paymentsFromGraph(payments, ids),
          redis: { url: config.redisUrl, prefix: config.queuePrefix },
        },
        from,
        to,
      ),
  };
}
