import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { requireService } from '../lib/guards';
import { reserveStockInputSchema, type Inventory, type ReservationView } from './inventory';
import type { ProductsContext } from './resolvers';

const reservationIdSchema = z.string().min(1).max(100);

/** Internal (@inaccessible) reservation operations: SERVICE identities only. */
export const inventoryMutations = {
  reserveStock: (_: unknown, args: { input: unknown }, ctx: ProductsContext) => {
    requireService(ctx);
    return ctx.services.inventory.reserve(parseInput(reserveStockInputSchema, args.input, ['input']));
  },
  releaseReservation: (_: unknown, args: { reservationId: unknown }, ctx: ProductsContext) => {
    requireService(ctx);
    return ctx.services.inventory.release(parseInput(reservationIdSchema, args.reservationId, ['reservationId']));
  },
  commitReservation: (_: unknown, args: { reservationId: unknown }, ctx: ProductsContext) => {
    requireService(ctx);
    return ctx.services.inventory.commit(parseInput(reservationIdSchema, args.reservationId, ['reservationId']));
  },
} satisfies Record<string, (parent: unknown, args: any, ctx: ProductsContext) => unknown>;

export const reservationFields = {
  id: (r: ReservationView) => r._id,
  status: (r: ReservationView) => r.publicStatus,
  expiresAt: (r: ReservationView) => new Date(r.expiresAt).toISOString(),
};

export type { Inventory };
