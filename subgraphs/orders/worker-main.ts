import { processEnvSchema, serviceConfigFromEnv, workerPorts } from '../lib/config';
import { runMain } from '../lib/main';
import { startOrdersWorker } from './worker';

const envSchema = processEnvSchema(workerPorts.orders);

runMain('orders-worker', envSchema, (env) => startOrdersWorker(serviceConfigFromEnv(env)));
