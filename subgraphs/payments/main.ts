import { serviceConfigFromEnv, subgraphEnvSchema } from '../lib/config';
import { runMain } from '../lib/main';
import { startPaymentsService } from './index';

runMain('payments', subgraphEnvSchema('payments'), (env) => startPaymentsService(serviceConfigFromEnv(env)));
