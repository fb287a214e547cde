import { port } from '../lib/env';
import { baseEnvSchema, refuseDevSecretsInProduction, serviceConfigFromEnv } from '../lib/config';
import { runMain } from '../lib/main';
import { startPaymentsWorker } from './worker';

/** The payments worker: outbox relay + refund requests; /health and /ready on 4014. */
const envSchema = baseEnvSchema.extend({ PORT: port(4014) }).superRefine(refuseDevSecretsInProduction);

runMain('payments-worker', envSchema, (env) => startPaymentsWorker(serviceConfigFromEnv(env)));
