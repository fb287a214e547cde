import type { z } from 'zod';
import { parseEnvOrExit } from './env';
import { createLogger } from './logger';
import type { RunningService } from './service';
import { onShutdownSignal } from './shutdown';

/**
 * The whole of a process's main(): validate the environment (print every problem, exit 1),
 * start the service, and stop it gracefully on SIGTERM/SIGINT.
 */
export function runMain<S extends z.ZodType>(name: string, schema: S, start: (env: z.infer<S>) => Promise<RunningService>): void {
  const env = parseEnvOrExit(schema);
  const logger = createLogger(name);
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
