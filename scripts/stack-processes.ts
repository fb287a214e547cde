import { subgraphPorts, workerPorts } from '../subgraphs/lib/config';

/**
 * Every process `npm start` runs, in start order. Subgraphs and the gateway are HTTP services
 * (the orchestrator waits for their /health); workers consume queues.
 */
export interface StackProcess {
  name: string;
  entry: string;
  port?: number;
}

export const SUBGRAPH_PROCESSES: StackProcess[] = [
  { name: 'customers', entry: 'subgraphs/customers/main.ts', port: subgraphPorts.customers },
  { name: 'products', entry: 'subgraphs/products/main.ts', port: subgraphPorts.products },
  { name: 'orders', entry: 'subgraphs/orders/main.ts', port: subgraphPorts.orders },
  { name: 'payments', entry: 'subgraphs/payments/main.ts', port: subgraphPorts.payments },
];

/**
 * Queue consumers, each its own process so it can be scaled and restarted on its own; `port`
 * (workerPorts in subgraphs/lib/config.ts) serves its /health, /ready and /metrics.
 */
export const WORKER_PROCESSES: StackProcess[] = [
  { name: 'products-worker', entry: 'subgraphs/products/worker-main.ts', port: workerPorts.products },
  { name: 'orders-worker', entry: 'subgraphs/orders/worker-main.ts', port: workerPorts.orders },
  { name: 'payments-worker', entry: 'subgraphs/payments/worker-main.ts', port: workerPorts.payments },
  { name: 'analytics-worker', entry: 'subgraphs/orders/analytics/worker-main.ts', port: workerPorts.analytics },
  { name: 'notifications-worker', entry: 'subgraphs/orders/notifications/worker-main.ts', port: workerPorts.notifications },
];

export const GATEWAY_PROCESS: StackProcess = { name: 'gateway', entry: 'gateway/src/main.ts', port: 4000 };
