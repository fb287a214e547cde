import { processEnvSchema, serviceConfigFromEnv, workerPorts } from '../lib/config';
import { parseEnvOrExit } from '../lib/env';
import { runMain } from '../lib/main';
import { safetyNetEnvSchema } from '../lib/safety-net';
import { startOrdersWorker } from './worker';

const envSchema = processEnvSchema(workerPorts.orders);

/** The orders worker's safety net (SAFETY_NET_*): results-sweep.ts. */
const safetyNet = parseEnvOrExit(safetyNetEnvSchema);

runMain('orders-worker', envSchema, (env) => startOrdersWorker(serviceConfigFromEnv(env), { safetyNet }));
