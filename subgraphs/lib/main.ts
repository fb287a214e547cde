// Tracing must load before anything that imports http or express, so it can instrument them.
import './tracing';
import { z } from 'zod';
import { parseEnvOrExit } from './env';
import { createLogger } from './logger';
import type { RunningService } from './service';
import { configureShutdown, onShutdownSignal } from './shutdown';

/** Shutdown timing for every process; see shutdown.ts. */
const shutdownEnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(25_000),
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).optional(),
});

/**
 * The whole of a process's main(): validate the environment (print every problem, exit 1),
 * start the service, and stop it gracefully on SIGTERM/SIGINT.
 */
export function runMain<S extends z.ZodType>(name: string, schema: S, start: (env: z.infer<S>) => Promise<RunningService>): void {
  const env = parseEnvOrExit(schema);
  const shutdown = parseEnvOrExit(shutdownEnvSchema);
  configureShutdown({
    timeoutMs: shutdown.SHUTDOWN_TIMEOUT_MS,
    // In production, give load balancers time to see readiness fail before the listener closes.
    drainDelayMs: shutdown.SHUTDOWN_DRAIN_DELAY_MS ?? (shutdown.NODE_ENV === 'production' ? 5_000 : 0),
  });
  const logger = createLogger(name);
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: reason instanceof Error ? reason.stack : String(reason) }));
  start(env)
    .then((running) => {
      onShutdownSignal(() => running.stop(), logger);
      exitWithParent(() => process.kill(process.pid, 'SIGTERM'));
    })
    .catch((err) => {
      logger.error('failed to start', { error: err instanceof Error ? err.stack : String(err) });
      process.exit(1);
    });
}

/** Under `npm start`, a child stops itself if the orchestrator dies without cleaning up (no orphans). */
function exitWithParent(stop: () => void): void {
  const parent = Number(process.env.STACK_PARENT_PID);
  if (!parent) return;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}
