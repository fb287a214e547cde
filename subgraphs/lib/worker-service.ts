import type { Worker } from 'bullmq';
import type { ServiceConfig } from './config';
import { express, listen, mountHealth } from './http';
import { closeAll } from './shutdown';
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
 * A queue-consuming process: its workers, plus /health and /ready on `config.port`.
 * stop() takes it out of readiness, lets every in-flight job finish (BullMQ's close waits for
 * them; a job cut off by a hard kill is returned to the queue by stalled-job recovery), then
 * closes queues, Redis and Mongo.
 */
export async function startWorkerService<D>(spec: WorkerServiceSpec<D>, config: ServiceConfig): Promise<RunningService & { deps: D & { workers: Worker[] } }> {
  const res = await openResources(spec.database, config, { redis: true });
  res.logger.defaultMeta = { service: spec.name };
  const deps = await spec.setup(res);
  let draining = false;
  const app = express();
  mountHealth(app, res.readiness, () => draining);
  const http = await listen(app, config.port, res.logger, config.host);
  return {
    name: spec.name,
    url: http.url,
    deps,
    async stop() {
      draining = true;
      await Promise.all(deps.workers.map((w) => w.close()));
      await closeAll(spec.closers?.(deps) ?? [], res.logger);
      await http.close();
      await closeResources(res);
    },
  };
}
