// Tracing must load before anything that imports http or express, so it can instrument them.
import './tracing';
import { z } from 'zod';
import { parseEnvOrExit } from './env';
import { createLogger } from './logger';
import type { RunningService } from './service';
import { configureShutdown, onShutdownSignal } from './shutdown';

/** What every process's runtime needs besides its service settings: logging, shutdown timing (shutdown.ts), its parent. */
export const runtimeEnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(25_000),
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).optional(),
  /** Set by `npm start` for its children: a child whose orchestrator is gone stops itself. */
  STACK_PARENT_PID: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
});

/** The runtime settings of this process (printing every problem and exiting 1 if they are invalid). */
export const runtimeEnv = () => parseEnvOrExit(runtimeEnvSchema);

/**
 * The whole of a process's main(): validate the environment (print every problem, exit 1),
 * start the service, and stop it gracefully on SIGTERM/SIGINT.
 */
export function runMain<S extends z.ZodType>(name: string, schema: S, start: (env: z.infer<S>) => Promise<RunningService>): void {
  const env = parseEnvOrExit(schema);
  const runtime = runtimeEnv();
  configureShutdown({
    timeoutMs: runtime.SHUTDOWN_TIMEOUT_MS,
    // In production, give load balancers time to see readiness fail before the listener closes.
    drainDelayMs: runtime.SHUTDOWN_DRAIN_DELAY_MS ?? (runtime.NODE_ENV === 'production' ? 5_000 : 0),
  });
  const logger = createLogger(name, runtime.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: reason instanceof Error ? reason.stack : String(reason) }));
  start(env)
    .then((running) => {
      onShutdownSignal(() => running.stop(), logger);
      if (runtime.STACK_PARENT_PID) exitWithParent(runtime.STACK_PARENT_PID, () => process.kill(process.pid, 'SIGTERM'));
    })
    .catch((err) => {
      logger.error('failed to start', { error: err instanceof Error ? err.stack : String(err) });
      process.exit(1);
    });
}

/** Under `npm start`, a child stops itself if the orchestrator dies without cleaning up (no orphans). */
export function exitWithParent(parent: number, stop: () => void): void {
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}
