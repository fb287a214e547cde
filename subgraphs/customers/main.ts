import { serviceConfigFromEnv, subgraphEnvSchema } from '../lib/config';
import { runMain } from '../lib/main';
import { startCustomersService } from './index';

runMain('customers', subgraphEnvSchema('customers'), (env) => startCustomersService(serviceConfigFromEnv(env)));
