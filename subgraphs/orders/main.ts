import { serviceConfigFromEnv, subgraphEnvSchema } from '../lib/config';
import { runMain } from '../lib/main';
import { startOrdersService } from './index';

runMain('orders', subgraphEnvSchema('orders'), (env) => startOrdersService(serviceConfigFromEnv(env)));
