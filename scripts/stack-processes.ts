import { z } from 'zod';
import { SUBGRAPH_NAMES, subgraphPorts, workerPorts } from '../subgraphs/lib/config';

/**
 * Every process `npm start` runs, in start order. Subgraphs and the gateway are HTTP services
 * (the orchestrator waits for their /health); workers consume queues.
 */
export interface StackProcess {
  name: string;
  entry: string;
  port?: number;
}

export interface Stack {
  subgraphs: StackProcess[];
  workers: StackProcess[];
  gateway: StackProcess;
}

/** The gateway's port with no offset (gateway/src/config.ts defaults PORT to it too). */
const GATEWAY_PORT = 4000;

/**
 * The whole stack with every port moved by `offset` (STACK_PORT_OFFSET), so a second stack — an
 * integration test of `npm start` — can run beside a developer's. Offset 0 is the documented ports.
 */
export function stackProcesses(offset = 0): Stack {
  const at = (port: number) => port + offset;
  return {
    subgraphs: [
      { name: 'customers', entry: 'subgraphs/customers/main.ts', port: at(subgraphPorts.customers) },
      { name: 'products', entry: 'subgraphs/products/main.ts', port: at(subgraphPorts.products) },
      { name: 'orders', entry: 'subgraphs/orders/main.ts', port: at(subgraphPorts.orders) },
      { name: 'payments', entry: 'subgraphs/payments/main.ts', port: at(subgraphPorts.payments) },
    ],
    // Queue consumers, each its own process so it can be scaled and restarted on its own; `port`
    // (workerPorts in subgraphs/lib/config.ts) serves its /health, /ready and /metrics.
    workers: [
      { name: 'products-worker', entry: 'subgraphs/products/worker-main.ts', port: at(workerPorts.products) },
      { name: 'orders-worker', entry: 'subgraphs/orders/worker-main.ts', port: at(workerPorts.orders) },
      { name: 'payments-worker', entry: 'subgraphs/payments/worker-main.ts', port: at(workerPorts.payments) },
      { name: 'analytics-worker', entry: 'subgraphs/orders/analytics/worker-main.ts', port: at(workerPorts.analytics) },
      { name: 'notifications-worker', entry: 'subgraphs/orders/notifications/worker-main.ts', port: at(workerPorts.notifications) },
    ],
    gateway: { name: 'gateway', entry: 'gateway/src/main.ts', port: at(GATEWAY_PORT) },
  };
}

/**
 * The subgraph URLs the children call each other (and the gateway routes) by, when the ports are
 * moved: without them every process would default to (and the gateway to the supergraph's)
 * localhost:4001-4004, i.e. a developer's stack. Nothing at offset 0, so the defaults stay as they are.
 */
export function peerEnv(offset: number): Record<string, string> {
  if (offset === 0) return {};
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `http://localhost:${subgraphPorts[name] + offset}/graphql`]));
}

export const MAX_PORT_OFFSET = 20_000;
const offsetSchema = z.coerce.number().int().min(0).max(MAX_PORT_OFFSET).default(0);

/** STACK_PORT_OFFSET: an integer 0..20000 added to every port of the stack; absent or empty means 0. */
export function portOffsetFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.STACK_PORT_OFFSET?.trim() || undefined;
  const parsed = offsetSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`STACK_PORT_OFFSET must be an integer from 0 to ${MAX_PORT_OFFSET} (got ${JSON.stringify(env.STACK_PORT_OFFSET)})`);
  return parsed.data;
}

// The documented ports (offset 0): the benchmarks, chaos runs and compose check use these.
const DEFAULT_STACK = stackProcesses(0);
export const SUBGRAPH_PROCESSES: StackProcess[] = DEFAULT_STACK.subgraphs;
export const WORKER_PROCESSES: StackProcess[] = DEFAULT_STACK.workers;
export const GATEWAY_PROCESS: StackProcess = DEFAULT_STACK.gateway;
