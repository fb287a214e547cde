import client from 'prom-client';
import { registry } from '../../lib/metrics';

/** notifications_total{event, outcome}: what became of each notification job (sent, failed, already-sent, …). */
export const notificationOutcomes =
  (registry.getSingleMetric('notifications_total') as client.Counter<'event' | 'outcome'> | undefined) ??
  new client.Counter({ name: 'notifications_total', help: 'Notification jobs by email event and outcome (sent, failed, already-sent, interrupted, …)', labelNames: ['event', 'outcome'] as const });
