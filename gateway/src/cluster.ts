import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../subgraphs/lib/logger';
import { exitWithParent } from '../../subgraphs/lib/main';

/**
 * Cluster mode (GATEWAY_WORKERS > 1): this primary process serves nothing itself; it forks that
 * many gateway workers, which share the listening port (node:cluster hands each new connection to
 * a worker in turn). Each worker is a whole gateway (its own caches, Redis connections and
 * rate-limit counts, which are shared through Redis as between separate instances).
 *  - A worker that dies unexpectedly is replaced (after a pause, so a crash loop cannot spin).
 *  - SIGTERM: every worker is asked to stop (each drains as a single gateway would), and the
 *    primary exits once they all have, or after `timeoutMs`. SIGINT (Ctrl-C) reaches the workers
 *    from the terminal already, so it is not passed on (a second signal would cut their drain
 *    short); the primary waits for them the same way.
 *  - Workers stop by themselves if the primary disappears (STACK_PARENT_PID, as under npm start).
 */
export interface ClusterOptions {
  workers: number;
  timeoutMs: number;
  logger: Logger;
  /** The orchestrator's pid (STACK_PARENT_PID under npm start): the primary stops with it. */
  parentPid?: number;
  restartDelayMs?: number;
}

export function runGatewayCluster(opts: ClusterOptions): void {
  let stopping = false;
  const fork = () => cluster.fork({ STACK_PARENT_PID: String(process.pid) });
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopping) return;
    opts.logger.error('gateway worker died; starting another', { pid: worker.process.pid, code, signal });
    setTimeout(() => {
      if (!stopping) fork();
    }, opts.restartDelayMs ?? 1000).unref();
  });
  for (let i = 0; i < opts.workers; i++) fork();
  opts.logger.info('gateway cluster started', { workers: opts.workers });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    opts.logger.info('stopping gateway workers', { signal });
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w && !w.isDead()));
    const force = setTimeout(() => {
      opts.logger.error('gateway workers did not stop in time; exiting', { timeoutMs: opts.timeoutMs });
      process.exit(1);
    }, opts.timeoutMs);
    force.unref();
    let running = workers.length;
    if (!running) process.exit(0);
    for (const w of workers) {
      w.once('exit', () => {
        if (--running === 0) process.exit(0);
      });
      if (signal === 'SIGTERM') w.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (opts.parentPid) exitWithParent(opts.parentPid, () => stop('SIGTERM'));
}
