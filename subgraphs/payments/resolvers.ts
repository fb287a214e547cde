import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ForbiddenError } from '../lib/errors';
import { canAccessOwned, requireSignedIn, type AuthContext } from '../lib/guards';
import type { BaseContext } from '../lib/subgraph-server';
import type { PaymentDoc } from './model';

export interface PaymentsContext extends BaseContext, AuthContext {
  paymentById: DataLoader<string, PaymentDoc | null>;
}

async function visiblePayment(ctx: PaymentsContext, id: string): Promise<PaymentDoc> {
  const doc = await ctx.paymentById.load(id);
  if (!doc || !canAccessOwned(ctx, doc.customerId)) throw new ForbiddenError();
  return doc;
}

export const resolvers: GraphQLResolverMap<PaymentsContext> = {
  Query: {
    payment: (_: unknown, args: { id: string }, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      return visiblePayment(ctx, args.id);
    },
  },
  Payment: {
    __resolveReference: (ref: { id: string }, ctx: PaymentsContext) => visiblePayment(ctx, ref.id),
    id: (p: PaymentDoc) => p._id,
    customer: (p: PaymentDoc) => ({ __typename: 'Customer', id: p.customerId }),
    createdAt: (p: PaymentDoc) => p.createdAt.toISOString(),
  },
};
