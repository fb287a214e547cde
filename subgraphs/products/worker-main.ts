import { baseEnvSchema, refuseDevSecretsInProduction, serviceConfigFromEnv } from '../lib/config';
import { port } from '../lib/env';
import { runMain } from '../lib/main';
import { startProductsWorker } from './worker';

/** The products inventory worker: /health and /ready on PORT (default 4012). */
const envSchema = baseEnvSchema.extend({ PORT: port(4012) }).superRefine(refuseDevSecretsInProduction);

runMain('products-worker', envSchema, (env) => startProductsWorker(serviceConfigFromEnv(env)));
