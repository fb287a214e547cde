import { processEnvSchema, serviceConfigFromEnv, workerPorts } from '../lib/config';
import { parseEnvOrExit } from '../lib/env';
import { runMain } from '../lib/main';
import { safetyNetEnvSchema } from '../lib/safety-net';
import { startPaymentsWorker } from './worker';

/** The payments worker: outbox relay, safety net (SAFETY_NET_*), refund requests; /health and /ready on 4014. */
const envSchema = processEnvSchema(workerPorts.payments);

const safetyNet = parseEnvOrExit(safetyNetEnvSchema);

runMain('payments-worker', envSchema, (env) => startPaymentsWorker(serviceConfigFromEnv(env), { safetyNet }));
