import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { requireService } from '../lib/guards';
import type { OrdersContext } from './resolvers';

/** Internal (@inaccessible, SERVICE only) operations of the orders subgraph: schema.internal.graphql. */
const paymentIdsSchema = z.object({ paymentIds: z.array(z.string().min(1).max(100)).max(1000) });

export const internalResolvers = {
  Query: {
    paymentOrderStates: (_: unknown, args: unknown, ctx: OrdersContext) => {
      requireService(ctx);
      return ctx.services.orders.paymentStates(parseInput(paymentIdsSchema, args).paymentIds);
    },
  },
};

/** The resolver map with the internal fields merged in (Query spread together). */
export function withInternalResolvers<M extends { Query?: object }>(resolvers: M): M {
  return { ...resolvers, Query: { ...(resolvers.Query ?? {}), ...internalResolvers.Query } } as M;
}
