import { baseEnvSchema, refuseDevSecretsInProduction, serviceConfigFromEnv } from '../lib/config';
import { port } from '../lib/env';
import { runMain } from '../lib/main';
import { startOrdersWorker } from './worker';

const workerEnvSchema = baseEnvSchema.extend({ PORT: port(4013) }).superRefine(refuseDevSecretsInProduction);

runMain('orders-worker', workerEnvSchema, (env) => startOrdersWorker(serviceConfigFromEnv(env)));
