import { processEnvSchema, serviceConfigFromEnv, workerPorts } from '../lib/config';
import { runMain } from '../lib/main';
import { startProductsWorker } from './worker';

/** The products inventory worker: /health and /ready on PORT (default 4012). */
const envSchema = processEnvSchema(workerPorts.products);

runMain('products-worker', envSchema, (env) => startProductsWorker(serviceConfigFromEnv(env)));
