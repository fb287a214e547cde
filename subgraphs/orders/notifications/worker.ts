import type { Job } from 'bullmq';
import type { MailConfig, ServiceConfig } from '../../lib/config';
import { internalClient } from '../../lib/internal-client';
import type { Logger } from '../../lib/logger';
import { ensureIndexes } from '../../lib/mongo';
import { queuesPublisher, startOutboxRelay } from '../../lib/outbox';
import { notificationsQueue, openQueue, queueDeps, type Notification } from '../../lib/queues';
import { createValidatedWorker } from '../../lib/worker';
import { startWorkerService } from '../../lib/worker-service';
import { deliverNotification, giveUp, SendInProgressError, type DeliveryDeps } from './delivery';
import { notificationOutcomes } from './metrics';
import { notificationModel, notificationRecordId, type NotificationDoc } from './model';
import { runEvery } from '../../lib/periodic';
import { recipientsFromCustomers } from './recipient';
import { sweepExpiredClaims } from './records';
import { createMailer } from './smtp';
import type { Model } from 'mongoose';

export interface NotificationsWorkerOptions {
  /** How long a send claim holds (default 2 min: three SMTP timeouts of 15 s each fit well inside). */
  leaseMs?: number;
  /** SMTP connection, greeting and socket timeouts (default 15 s each). */
  smtpTimeoutMs?: number;
  /** How often SENDING records whose lease ran out are recovered: requeued, or marked interrupted (default 30 s). */
  sweepIntervalMs?: number;
  /** How often resend jobs a Redis outage left unpublished are published (default 3 s). */
  relayIntervalMs?: number;
  concurrency?: number;
}

export const DEFAULT_LEASE_MS = 120_000;

/**
 * The notifications worker (orders domain; its records live in the orders database): consumes the
 * `notifications` queue, one customer email per record, exactly once (delivery.ts).
 */
export function startNotificationsWorker(config: ServiceConfig, mail: MailConfig, opts: NotificationsWorkerOptions = {}) {
  return startWorkerService(
    {
      name: 'notifications-worker',
      database: 'orders',
      async setup({ conn, redis, logger }) {
        const records = notificationModel(conn);
        await ensureIndexes([records]);
        const queue = openQueue(notificationsQueue, queueDeps(redis!, config.queuePrefix));
        const customers = internalClient({ url: config.peers.customers, target: 'customers', service: 'orders', internalSecret: config.internalSecret });
        const mailer = createMailer(mail, { timeoutMs: opts.smtpTimeoutMs });
        const deps: DeliveryDeps = { records, mailer, recipients: recipientsFromCustomers(customers), mail, leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS, logger };
        const worker = createValidatedWorker(notificationsQueue, (n, { job }) => runJob(n, job, deps), { ...queueDeps(redis!, config.queuePrefix), logger }, {
          concurrency: opts.concurrency ?? 4,
          // As the orders worker: a job cut off by a crash is back in the queue within ~20 s.
          lockDuration: 15_000,
          stalledInterval: 5_000,
        });
        const relay = startOutboxRelay(records, queuesPublisher([queue], { redis: redis!, timeoutMs: 5_000 }), logger, { intervalMs: opts.relayIntervalMs });
        const stopSweep = startSweep(records, logger, opts.sweepIntervalMs ?? 30_000);
        return { workers: [worker], records, relay, stopSweep, queue, mailer };
      },
      closers: (d) => [() => d.relay.stop(), d.stopSweep, () => d.queue.close(), async () => d.mailer.close()],
    },
    config,
  );
}

async function runJob(n: Notification, job: Job, deps: DeliveryDeps) {
  try {
    const outcome = await deliverNotification(n, deps);
    notificationOutcomes.inc({ event: n.event, outcome });
    return { notification: notificationRecordId(n), outcome };
  } catch (err) {
    const attempt = job.attemptsMade + 1;
    notificationOutcomes.inc({ event: n.event, outcome: err instanceof SendInProgressError ? 'in-progress' : 'retry' });
    // Out of retries: the PENDING record says why, for an admin (a live claim elsewhere decides for itself).
    if (attempt >= (job.opts.attempts ?? 1) && !(err instanceof SendInProgressError)) await giveUp(deps.records, n, notificationRecordId(n), attempt, err);
    throw err;
  }
}

/**
 * Recovers SENDING records whose lease ran out (their sender died), at start and every `intervalMs`:
 * one not handed over goes back to PENDING (the job's retry, or the orders safety net that
 * republishes a PENDING record's job, sends it); one handed over is FAILED for review.
 */
function startSweep(records: Model<NotificationDoc>, logger: Logger, intervalMs: number): () => Promise<void> {
  const sweep = () =>
    sweepExpiredClaims(records)
      .then(({ requeued, interrupted }) => {
        if (requeued) logger.warn('notification sends stopped before the hand-over: back to PENDING, to be sent again', { count: requeued });
        if (interrupted) logger.warn('notifications interrupted after the hand-over marked FAILED for review', { count: interrupted });
      })
      .catch((err) => logger.error('notification sweep failed', { error: String(err) }));
  return runEvery(intervalMs, sweep, { immediately: true }).stop;
}
