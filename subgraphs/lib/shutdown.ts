import type { Logger } from './logger';
import { shutdownTracing } from './tracing';

/**
 * How a process stops (set once by runMain from the environment; in-process tests keep the defaults):
 * `drainDelayMs`: after readiness turns 503, keep serving this long so load balancers stop routing
 * here before the listener closes; `timeoutMs`: the whole stop must finish within this, else exit 1
 * (jobs still running then are not lost: BullMQ's stalled-job check returns them to the queue).
 */
export const shutdownSettings = { drainDelayMs: 0, timeoutMs: 25_000 };

export function configureShutdown(settings: Partial<typeof shutdownSettings>): void {
  Object.assign(shutdownSettings, settings);
}

/** Wait the configured drain delay (readiness already reports 503 while this runs). */
export function drainDelay(): Promise<void> {
  const ms = shutdownSettings.drainDelayMs;
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, bounded by `timeoutMs`, then flushes traces and exits.
 * A second signal exits at once (the operator insists).
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger, timeoutMs = shutdownSettings.timeoutMs): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal, timeoutMs, drainDelayMs: shutdownSettings.drainDelayMs });
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting with work unfinished (queued jobs return to their queue)', { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop()
      .then(async () => {
        await shutdownTracing();
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        logger.error('error while stopping', { error: String(err) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Run closers in order, continuing past failures so one stuck resource does not leak the rest. */
export async function closeAll(closers: Array<() => Promise<unknown> | unknown>, logger: Logger): Promise<void> {
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      logger.warn('close failed', { error: String(err) });
    }
  }
}
