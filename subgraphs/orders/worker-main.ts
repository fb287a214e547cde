import { z } from 'zod';
import { baseEnvSchema, refuseDevSecretsInProduction, serviceConfigFromEnv } from '../lib/config';
import { port } from '../lib/env';
import { runMain } from '../lib/main';
import { startOrdersWorker } from './worker';

const workerEnvSchema = baseEnvSchema
  .extend({
    PORT: port(4013),
    /**
     * Test-only (off by default, ignored in production): hold each payment result this long after
     * the order is saved and before its messages are published, so a test can SIGKILL mid-job.
     */
    ORDERS_WORKER_TEST_HOLD_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  })
  .superRefine(refuseDevSecretsInProduction);

runMain('orders-worker', workerEnvSchema, (env) =>
  startOrdersWorker(serviceConfigFromEnv(env), { holdAfterSaveMs: env.NODE_ENV === 'production' ? undefined : env.ORDERS_WORKER_TEST_HOLD_MS }),
);
