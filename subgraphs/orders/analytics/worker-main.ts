import { baseEnvSchema, refuseDevSecretsInProduction, serviceConfigFromEnv, type ServiceConfig } from '../../lib/config';
import { port } from '../../lib/env';
import { runMain } from '../../lib/main';
import { ensureIndexes } from '../../lib/mongo';
import { startWorkerService } from '../../lib/worker-service';
import { allAnalyticsModels, analyticsModels } from './model';
import { createAnalyticsWorker, startSweeper } from './worker';

export const ANALYTICS_WORKER_PORT = 4015;

/** The analytics worker process: consumes QUEUES.analytics into the rollups in the orders database. */
export function startAnalyticsWorker(config: ServiceConfig) {
  return startWorkerService<{ stopSweeper: () => Promise<void> }>(
    {
      name: 'analytics-worker',
      database: 'orders',
      async setup({ conn, logger }) {
        const models = analyticsModels(conn);
        await ensureIndexes(allAnalyticsModels(models));
        const worker = createAnalyticsWorker(models, { connection: { url: config.redisUrl, maxRetriesPerRequest: null }, prefix: config.queuePrefix, logger });
        return { workers: [worker], stopSweeper: startSweeper(models, logger) };
      },
      closers: ({ stopSweeper }) => [stopSweeper],
    },
    config,
  );
}

if (require.main === module) {
  const schema = baseEnvSchema.extend({ PORT: port(ANALYTICS_WORKER_PORT) }).superRefine(refuseDevSecretsInProduction);
  runMain('analytics-worker', schema, (env) => startAnalyticsWorker(serviceConfigFromEnv(env)));
}
