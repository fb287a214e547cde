import { processEnvSchema, serviceConfigFromEnv, workerPorts } from '../lib/config';
import { runMain } from '../lib/main';
import { startPaymentsWorker } from './worker';

/** The payments worker: outbox relay + refund requests; /health and /ready on 4014. */
const envSchema = processEnvSchema(workerPorts.payments);

runMain('payments-worker', envSchema, (env) => startPaymentsWorker(serviceConfigFromEnv(env)));
