import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { requireService } from '../lib/guards';
import { inventoryJobId } from '../lib/queues';
import type { OrderDoc } from './model';
import type { OrdersContext } from './resolvers';

/** Internal (@inaccessible, SERVICE only) operations of the orders subgraph: schema.internal.graphql. */
const paymentIdsSchema = z.object({ paymentIds: z.array(z.string().min(1).max(100)).max(1000) });

type StoredState = Pick<OrderDoc, 'paymentId' | 'status' | 'refundedCents' | 'reservationId'> & { outbox: Array<{ id: string }> };

export const internalResolvers = {
  Query: {
    /** One $in on the unique paymentId index; only the fields the safety net compares. */
    paymentOrderStates: async (_: unknown, args: unknown, ctx: OrdersContext) => {
      requireService(ctx);
      const { paymentIds } = parseInput(paymentIdsSchema, args);
      if (!paymentIds.length) return [];
      const docs = await ctx.orders
        .find({ paymentId: { $in: paymentIds } }, { paymentId: 1, status: 1, refundedCents: 1, reservationId: 1, 'outbox.id': 1 })
        .lean<StoredState[]>();
      return docs.map((o) => {
        const release = inventoryJobId({ command: 'release', reservationId: o.reservationId });
        return { paymentId: o.paymentId, status: o.status, refundedCents: o.refundedCents ?? 0, releaseRequested: (o.outbox ?? []).some((e) => e.id === release) };
      });
    },
  },
};

/** The resolver map with the internal fields merged in (Query spread together). */
export function withInternalResolvers<M extends { Query?: object }>(resolvers: M): M {
  return { ...resolvers, Query: { ...(resolvers.Query ?? {}), ...internalResolvers.Query } } as M;
}
