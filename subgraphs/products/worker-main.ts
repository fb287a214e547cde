import { processEnvSchema, serviceConfigFromEnv, workerPorts } from '../lib/config';
import { parseEnvOrExit } from '../lib/env';
import { runMain } from '../lib/main';
import { safetyNetEnvSchema } from '../lib/safety-net';
import { startProductsWorker } from './worker';

/** The products inventory worker: /health and /ready on PORT (default 4012). */
const envSchema = processEnvSchema(workerPorts.products);

/** When an overdue hold counts as lost, and how often to look (SAFETY_NET_*): reservation-sweep.ts. */
const safetyNet = parseEnvOrExit(safetyNetEnvSchema);

runMain('products-worker', envSchema, (env) => startProductsWorker(serviceConfigFromEnv(env), { safetyNet }));
