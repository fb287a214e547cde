/**
 * A worker process for test/shutdown-worker.test.ts: the real runMain + startWorkerService path,
 * consuming a test-only queue prefix with a slow handler that records each completion in Redis.
 */
import { z } from 'zod';
import { baseEnvSchema, serviceConfigFromEnv } from '../subgraphs/lib/config';
import { port } from '../subgraphs/lib/env';
import { runMain } from '../subgraphs/lib/main';
import { queueDeps, reservationExpiryQueue } from '../subgraphs/lib/queues';
import { createValidatedWorker } from '../subgraphs/lib/worker';
import { startWorkerService } from '../subgraphs/lib/worker-service';

const schema = baseEnvSchema.extend({ PORT: port(0), JOB_MS: z.coerce.number().int().positive(), COMPLETIONS_KEY: z.string().min(1) });

runMain('shutdown-test-worker', schema, (env) =>
  startWorkerService(
    {
      name: 'shutdown-test-worker',
      database: 'shutdowntest',
      async setup({ redis, logger }) {
        const worker = createValidatedWorker(
          reservationExpiryQueue,
          async (payload, { job }) => {
            logger.info('job started', { jobId: job.id });
            await new Promise((r) => setTimeout(r, env.JOB_MS));
            await redis!.hincrby(env.COMPLETIONS_KEY, payload.reservationId, 1);
          },
          { ...queueDeps(redis!, env.QUEUE_PREFIX), logger },
          { concurrency: 3 },
        );
        return { workers: [worker] };
      },
    },
    serviceConfigFromEnv({ ...env, PORT: env.PORT }),
  ),
);
