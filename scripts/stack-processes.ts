import { subgraphPorts } from '../subgraphs/lib/config';

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
 * Queue consumers, each its own process so it can be scaled and restarted on its own; `port` serves
 * its /health and /ready. Reserved ports: products-worker 4012, orders-worker 4013,
 * payments-worker 4014, analytics-worker 4015, notifications-worker 4016.
 */
export const WORKER_PROCESSES: StackProcess[] = [
  { name: 'products-worker', entry: 'subgraphs/products/worker-main.ts', port: 4012 },
  { name: 'orders-worker', entry: 'subgraphs/orders/worker-main.ts', port: 4013 },
  { name: 'payments-worker', entry: 'subgraphs/payments/worker-main.ts', port: 4014 },
  { name: 'analytics-worker', entry: 'subgraphs/orders/analytics/worker-main.ts', port: 4015 },
  { name: 'notifications-worker', entry: 'subgraphs/orders/notifications/worker-main.ts', port: 4016 },
];

export const GATEWAY_PROCESS: StackProcess = { name: 'gateway', entry: 'gateway/src/main.ts', port: 4000 };
