// lib/main loads tracing, which must come before anything that loads http or express.
import { runMain, runtimeEnv } from '../../subgraphs/lib/main';
import cluster from 'node:cluster';
import { parseEnvOrExit } from '../../subgraphs/lib/env';
import { createLogger } from '../../subgraphs/lib/logger';
import { runGatewayCluster } from './cluster';
import { gatewayConfigFromEnv, gatewayEnvSchema, gatewayWorkers } from './config';
import { startGateway } from './server';

const env = parseEnvOrExit(gatewayEnvSchema);
const workers = gatewayWorkers(env);

if (cluster.isPrimary && workers > 1) {
  const runtime = runtimeEnv();
  // Workers get the whole stop budget, plus a moment to report it.
  runGatewayCluster({ workers, timeoutMs: runtime.SHUTDOWN_TIMEOUT_MS + 5_000, parentPid: runtime.STACK_PARENT_PID, logger: createLogger('gateway', env.LOG_LEVEL) });
} else {
  runMain('gateway', gatewayEnvSchema, (parsed) => startGateway(gatewayConfigFromEnv(parsed)));
}
