import { z } from 'zod';
import { baseEnvSchema, refuseDevSecretsInProduction, serviceConfigFromEnv, workerPorts, type ServiceConfig } from '../../lib/config';
import { port } from '../../lib/env';
import { runMain } from '../../lib/main';
import { ensureIndexes } from '../../lib/mongo';
import { startWorkerService } from '../../lib/worker-service';
import { allAnalyticsModels, analyticsModels } from './model';
import { createAnalyticsWorker, DEFAULT_ANALYTICS_CONCURRENCY, startSweeper } from './worker';

/** The analytics worker process: consumes QUEUES.analytics into the rollups in the orders database. */
export function startAnalyticsWorker(config: ServiceConfig, concurrency = DEFAULT_ANALYTICS_CONCURRENCY) {
  return startWorkerService<{ stopSweeper: () => Promise<void> }>(
    {
      name: 'analytics-worker',
      database: 'orders',
      async setup({ conn, logger }) {
        const models = analyticsModels(conn);
        await ensureIndexes(allAnalyticsModels(models));
        const worker = createAnalyticsWorker(models, { connection: { url: config.redisUrl, maxRetriesPerRequest: null }, prefix: config.queuePrefix, logger }, concurrency);
        return { workers: [worker], stopSweeper: startSweeper(models, logger) };
      },
      closers: ({ stopSweeper }) => [stopSweeper],
    },
    config,
  );
}

if (require.main === module) {
  const schema = baseEnvSchema
    .extend({ PORT: port(workerPorts.analytics), ANALYTICS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(DEFAULT_ANALYTICS_CONCURRENCY) })
    .superRefine(refuseDevSecretsInProduction);
  runMain('analytics-worker', schema, (env) => startAnalyticsWorker(serviceConfigFromEnv(env), env.ANALYTICS_CONCURRENCY));
}
