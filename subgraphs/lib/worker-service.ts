import { Queue, type Worker } from 'bullmq';
import { bullPrefix } from './queues/keys';
import type { ServiceConfig } from './config';
import { createServiceApp, listen } from './http';
import { watchQueue } from './metrics';
import { closeAll, drainDelay } from './shutdown';
import { closeResources, openResources, type RunningService, type ServiceResources } from './service';

export interface WorkerServiceSpec<D> {
  /** Process name for logs, e.g. 'orders-worker'. */
  name: string;
  /** Whose database the worker writes to (its subgraph's): database-per-service. */
  database: string;
  /** Create models, queues and the BullMQ workers. */
  setup: (res: ServiceResources) => Promise<D & { workers: Worker[] }>;
  /** Extra things to close after the workers have finished their in-flight jobs (queues, timers). */
  closers?: (deps: D) => Array<() => Promise<unknown>>;
}

/**
 * A queue-consuming process: its workers, plus /health, /ready and /metrics (including the job
 * counts of the queues it consumes) on `config.port`.
 * stop() takes it out of readiness, lets every in-flight job finish (BullMQ's close waits for
 * them and takes no new ones; a job cut off by a hard kill or the shutdown bound is returned to
 * the queue by stalled-job recovery), then closes queues, Redis and Mongo.
 */
export async function startWorkerService<D>(spec: WorkerServiceSpec<D>, config: ServiceConfig): Promise<RunningService & { deps: D & { workers: Worker[] } }> {
  const res = await openResources(spec.database, config, { redis: true });
  res.logger.defaultMeta = { service: spec.name };
  const deps = await spec.setup(res);
  let draining = false;
  const readiness = { ...res.readiness, workers: async () => deps.workers.every((w) => w.isRunning()) };
  const app = createServiceApp(spec.name, readiness, () => draining, { production: config.nodeEnv === 'production', token: config.metricsToken });
  const watched = observedQueues(deps.workers, config.queuePrefix);
  const unwatch = watched.map((q) => watchQueue(q));
  const http = await listen(app, config.port, res.logger, config.host);
  return {
    name: spec.name,
    url: http.url,
    deps,
    async stop() {
      draining = true;
      await drainDelay();
      res.logger.info('closing workers; waiting for in-flight jobs', { workers: deps.workers.map((w) => w.name) });
      await Promise.all(deps.workers.map((w) => w.close()));
      await closeAll(spec.closers?.(deps) ?? [], res.logger);
      await http.close();
      unwatch.forEach((u) => u());
      await closeAll(watched.map((q) => () => q.close()), res.logger);
      await closeResources(res);
    },
  };
}

/** One read-only Queue handle per consumed queue, so /metrics can report its job counts. */
function observedQueues(workers: Worker[], defaultPrefix: string): Queue[] {
  const seen = new Map<string, Queue>();
  for (const w of workers) {
    // The worker's own (hash-tagged) prefix, so the handle reads the very keys it consumes.
    const prefix = w.opts.prefix ?? bullPrefix(defaultPrefix, w.name);
    const key = `${prefix}:${w.name}`;
    if (!seen.has(key)) seen.set(key, new Queue(w.name, { connection: w.opts.connection, prefix }));
  }
  return [...seen.values()];
}
