import type { ServiceConfig } from '../lib/config';
import { ensureIndexes } from '../lib/mongo';
import { QUEUES, createQueue, inventoryCommandSchema, reservationExpirySchema, type InventoryCommand } from '../lib/queues';
import { startWorkerService } from '../lib/worker-service';
import { createValidatedWorker } from '../lib/worker';
import { createStock } from './stock';
import { createInventory, type Inventory } from './inventory';
import { catalogModels } from './model';
import { queueDeps } from './queue-deps';

/** What an inventory job completes with (visible as the job's return value). */
export type InventoryJobResult =
  | { ok: true; command: InventoryCommand['command'] | 'expire'; reservationId: string; status: string }
  | { ok: false; command: InventoryCommand['command'] | 'expire'; reservationId: string; reason: string; productId?: string };

/**
 * Commit and release commands from orders/payments, and the delayed expiry of reservations.
 * Outcomes that no retry can change (stock gone, unknown reservation) complete the job with
 * `{ ok: false, reason }` instead of failing it; only faults (database down...) are retried.
 */
export async function handleInventoryCommand(inventory: Inventory, cmd: InventoryCommand): Promise<InventoryJobResult> {
  const base = { command: cmd.command, reservationId: cmd.reservationId };
  if (cmd.command === 'release') {
    const r = await inventory.release(cmd.reservationId);
    return r ? { ok: true, ...base, status: r.publicStatus } : { ok: false, ...base, reason: 'NOT_FOUND' };
  }
  const outcome = await inventory.tryCommit(cmd.reservationId);
  if (outcome.ok) return { ok: true, ...base, status: outcome.reservation.publicStatus };
  // A reservation still being placed will settle (or expire): worth retrying later.
  if (outcome.reason === 'RESERVATION_PENDING' || outcome.reason === 'CONTENDED') throw new Error(`commit not possible yet: ${outcome.reason}`);
  return { ok: false, ...base, reason: outcome.reason, productId: outcome.productId };
}

export function startProductsWorker(config: ServiceConfig) {
  return startWorkerService(
    {
      name: 'products-worker',
      database: 'products',
      async setup({ conn, redis, logger }) {
        const models = catalogModels(conn);
        await ensureIndexes(Object.values(models));
        const deps = queueDeps(redis!, config.queuePrefix);
        const expiryQueue = createQueue(QUEUES.reservationExpiry, deps);
        const inventory = createInventory({ models, stock: createStock(models), expiryQueue, logger });
        const workerDeps = { ...deps, logger };
        const workers = [
          createValidatedWorker(QUEUES.inventory, inventoryCommandSchema, (cmd) => handleInventoryCommand(inventory, cmd), workerDeps),
          createValidatedWorker(
            QUEUES.reservationExpiry,
            reservationExpirySchema,
            async ({ reservationId }): Promise<InventoryJobResult> => {
              const r = await inventory.expire(reservationId);
              return r ? { ok: true, command: 'expire', reservationId, status: r.publicStatus } : { ok: false, command: 'expire', reservationId, reason: 'NOT_FOUND' };
            },
            workerDeps,
          ),
        ];
        return { workers, inventory, models, expiryQueue };
      },
      closers: (deps) => [() => deps.expiryQueue.close()],
    },
    config,
  );
}
