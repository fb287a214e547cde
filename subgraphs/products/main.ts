import { serviceConfigFromEnv, subgraphEnvSchema } from '../lib/config';
import { runMain } from '../lib/main';
import { startProductsService } from './index';

runMain('products', subgraphEnvSchema('products'), (env) => startProductsService(serviceConfigFromEnv(env)));
