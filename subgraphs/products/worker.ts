import { UnrecoverableError } from 'bullmq';
import type { ServiceConfig } from '../lib/config';
import { ensureIndexes } from '../lib/mongo';
import { inventoryCommandsQueue, openQueue, queueDeps, reservationExpiryQueue, type InventoryCommand } from '../lib/queues';
import { startWorkerService } from '../lib/worker-service';
import { createValidatedWorker } from '../lib/worker';
import { createStock } from './stock';
import { createInventory, type Inventory } from './inventory';
import { catalogModels } from './model';
import { startReservationSweep } from './reservation-sweep';
import { DEFAULT_SAFETY_NET, type SafetyNetSettings } from '../lib/safety-net';

/** What an inventory job completes with (visible as the job's return value). */
export interface InventoryJobResult {
  command: InventoryCommand['command'] | 'expire';
  reservationId: string;
  status: string;
}

/**
 * Release (a hold that will never be paid) and restock (a sold reservation's units back on hand)
 * commands from orders and payments, and the delayed expiry of reservations. A reservation nobody
 * knows can never be settled: the job fails for good at once (UnrecoverableError), visible to admins
 * and counted as exhausted; faults (database down...) are retried.
 */
export async function handleInventoryCommand(inventory: Inventory, cmd: InventoryCommand | { command: 'expire'; reservationId: string }): Promise<InventoryJobResult> {
  const ended = await inventory[cmd.command](cmd.reservationId);
  if (!ended) throw new UnrecoverableError(`no reservation ${cmd.reservationId} to ${cmd.command}`);
  return { command: cmd.command, reservationId: cmd.reservationId, status: ended.publicStatus };
}

export function startProductsWorker(config: ServiceConfig, opts: { safetyNet?: Partial<SafetyNetSettings> } = {}) {
  return startWorkerService(
    {
      name: 'products-worker',
      database: 'products',
      async setup({ conn, redis, logger }) {
        const models = catalogModels(conn);
        await ensureIndexes(Object.values(models));
        const deps = queueDeps(redis!, config.queuePrefix);
        const expiryQueue = openQueue(reservationExpiryQueue, deps);
        const inventory = createInventory({ models, stock: createStock(models), expiryQueue, logger });
        const workerDeps = { ...deps, logger };
        const workers = [
          createValidatedWorker(inventoryCommandsQueue, (cmd) => handleInventoryCommand(inventory, cmd), workerDeps),
          createValidatedWorker(reservationExpiryQueue, ({ reservationId }) => handleInventoryCommand(inventory, { command: 'expire', reservationId }), workerDeps),
        ];
        const sweep = startReservationSweep(inventory, models.reservations, { ...DEFAULT_SAFETY_NET, ...opts.safetyNet }, logger);
        return { workers, inventory, models, expiryQueue, sweep };
      },
      closers: (deps) => [() => deps.sweep.stop(), () => deps.expiryQueue.close()],
    },
    config,
  );
}
