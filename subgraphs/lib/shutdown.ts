import type { Logger } from './logger';

/**
 * Runs `stop` once on SIGTERM or SIGINT, bounded by `timeoutMs`, then exits.
 * A second signal exits at once (the operator insists).
 */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger, timeoutMs = 15_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    const timer = setTimeout(() => {
      logger.error('shutdown timed out', { timeoutMs });
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop()
      .then(() => {
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
