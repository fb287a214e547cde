import { serviceConfigFromEnv, subgraphEnvSchema } from '../lib/config';
import { parseEnvOrExit } from '../lib/env';
import { runMain } from '../lib/main';
import { adminEnvSchema, adminFromEnv } from './admin';
import { startCustomersService } from './index';

const admin = adminFromEnv(parseEnvOrExit(adminEnvSchema));
runMain('customers', subgraphEnvSchema('customers'), (env) => startCustomersService(serviceConfigFromEnv(env), { admin }));
