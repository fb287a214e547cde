import { runMain } from '../../subgraphs/lib/main';
import { gatewayConfigFromEnv, gatewayEnvSchema } from './config';
import { startGateway } from './server';

runMain('gateway', gatewayEnvSchema, (env) => startGateway(gatewayConfigFromEnv(env)));
