import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ForbiddenError } from '../lib/errors';
import { canAccessOwned, requireSignedIn, type AuthContext } from '../lib/guards';
import type { BaseContext } from '../lib/subgraph-server';
import type { OrderDoc } from './model';

export interface OrdersContext extends BaseContext, AuthContext {
  orderById: DataLoader<string, OrderDoc | null>;
  orderByPaymentId: DataLoader<string, OrderDoc | null>;
}

/** An order the caller may see, or FORBIDDEN whether or not it exists (existence must not leak). */
async function visibleOrder(ctx: OrdersContext, order: Promise<OrderDoc | null>): Promise<OrderDoc> {
  const doc = await order;
  if (!doc || !canAccessOwned(ctx, doc.customerId)) throw new ForbiddenError();
  return doc;
}

export const resolvers: GraphQLResolverMap<OrdersContext> = {
  Query: {
    order: (_: unknown, args: { id: string }, ctx: OrdersContext) => {
      requireSignedIn(ctx);
      return visibleOrder(ctx, ctx.orderById.load(args.id));
    },
  },
  Order: {
    __resolveReference: (ref: { id: string }, ctx: OrdersContext) => visibleOrder(ctx, ctx.orderById.load(ref.id)),
    id: (o: OrderDoc) => o._id,
    customer: (o: OrderDoc) => ({ __typename: 'Customer', id: o.customerId }),
    payment: (o: OrderDoc) => ({ __typename: 'Payment', id: o.paymentId }),
    items: (o: OrderDoc) => o.items.map((line) => ({ ...line, product: { __typename: 'Product', id: line.productId } })),
    createdAt: (o: OrderDoc) => o.createdAt.toISOString(),
  },
  Payment: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    order: async (p: { id: string }, _: unknown, ctx: OrdersContext) => {
      const order = await ctx.orderByPaymentId.load(p.id);
      return order && canAccessOwned(ctx, order.customerId) ? order : null;
    },
  },
};
