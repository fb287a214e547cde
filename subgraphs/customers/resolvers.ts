import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { canAccessOwned, requireAdmin, type AuthContext } from '../lib/guards';
import type { BaseContext } from '../lib/subgraph-server';
import type { CustomerDoc } from './model';
import type { CustomersService } from './service';

export interface CustomersContext extends BaseContext, AuthContext {
  service: CustomersService;
  customerById: DataLoader<string, CustomerDoc | null>;
}

export const resolvers: GraphQLResolverMap<CustomersContext> = {
  Query: {
    me: (_: unknown, __: unknown, ctx: CustomersContext) => {
      const { sub, role } = ctx.identity;
      return sub && (role === 'CUSTOMER' || role === 'ADMIN') ? ctx.customerById.load(sub) : null;
    },
    customer: (_: unknown, args: { id: string }, ctx: CustomersContext) => {
      requireAdmin(ctx);
      return ctx.customerById.load(args.id);
    },
  },
  Customer: {
    __resolveReference: (ref: { id: string }, ctx: CustomersContext) => ctx.customerById.load(ref.id),
    id: (c: CustomerDoc) => c._id,
    // Private: only the customer and admins see it, however Customer was reached.
    email: (c: CustomerDoc, _: unknown, ctx: CustomersContext) => (canAccessOwned(ctx, c._id) ? c.email : null),
    createdAt: (c: CustomerDoc) => c.createdAt.toISOString(),
  },
};
