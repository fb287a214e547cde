import { z } from 'zod';
import { defineQueue } from './define';
import { requestIdSchema } from './snapshots';

/**
 * `release`: give back a hold that will never be paid (the payment was canceled). `restock`: a
 * sold reservation's units come back on hand (its order was canceled). Two commands with two job
 * ids (`release-<id>`, `restock-<id>`), so neither can be mistaken for, or deduplicated as, the other.
 */
export const inventoryCommandSchema = z.object({
  command: z.enum(['release', 'restock']),
  reservationId: z.string().min(1),
  reason: z.string().min(1),
  requestId: requestIdSchema,
});
export type InventoryCommand = z.infer<typeof inventoryCommandSchema>;
export const inventoryJobId = (c: Pick<InventoryCommand, 'command' | 'reservationId'>) => `${c.command}-${c.reservationId}`;


/** orders → products: give a hold back, or a sold reservation's units. */
export const inventoryCommandsQueue = defineQueue({
  name: 'inventory-commands',
  jobName: 'inventory-command',
  schema: inventoryCommandSchema,
  jobId: inventoryJobId,
  money: true,
  description: 'orders → products: release a hold that will never be paid, restock a canceled order',
});
