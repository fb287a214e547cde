import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isAdmin, type AuthContext } from '../lib/guards';
import type { BaseContext } from '../lib/subgraph-server';
import type { ProductDoc } from './model';

export interface ProductsContext extends BaseContext, AuthContext {
  productById: DataLoader<string, ProductDoc | null>;
}

export const resolvers: GraphQLResolverMap<ProductsContext> = {
  Query: {
    product: async (_: unknown, args: { id: string }, ctx: ProductsContext) => {
      const product = await ctx.productById.load(args.id);
      return product && (product.active || isAdmin(ctx)) ? product : null;
    },
  },
  Product: {
    // Entity references always resolve (an order keeps pointing at an archived product).
    __resolveReference: (ref: { id: string }, ctx: ProductsContext) => ctx.productById.load(ref.id),
    id: (p: ProductDoc) => p._id,
    stock: (p: ProductDoc) => ({ onHand: p.onHand, reserved: p.reserved, available: p.onHand - p.reserved }),
    createdAt: (p: ProductDoc) => p.createdAt.toISOString(),
    updatedAt: (p: ProductDoc) => p.updatedAt.toISOString(),
  },
};
