import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { pageArgsSchema } from '../lib/pagination';
import { isAdmin, requireAdmin } from '../lib/guards';
import type { SubgraphContext } from '../lib/subgraph-server';
import { visibleTo, type Catalog } from './catalog';
import type { Categories } from './categories';
import type { Inventory } from './inventory';
import type { CategoryDoc, ProductDoc } from './model';
import { inventoryMutations, reservationFields } from './resolvers.inventory';
import { adjustStockSchema, createCategorySchema, createProductSchema, productsArgsSchema, slugSchema, updateCategorySchema, updateProductSchema } from './validation';

/** The products domain's services, built once in index.ts. */
export interface ProductsServices {
  catalog: Catalog;
  categories: Categories;
  inventory: Inventory;
}
export interface ProductsLoaders {
  productById: DataLoader<string, ProductDoc | null>;
  categoryById: DataLoader<string, CategoryDoc | null>;
}
export type ProductsContext = SubgraphContext<ProductsLoaders, ProductsServices>;

const idArg = z.string().min(1).max(100);

export const resolvers: GraphQLResolverMap<ProductsContext> = {
  Query: {
    product: async (_: unknown, args: { id: string }, ctx: ProductsContext) => visibleTo(await ctx.productById.load(args.id), isAdmin(ctx)),
    productBySku: (_: unknown, args: { sku: string }, ctx: ProductsContext) => ctx.services.catalog.bySku(args.sku, isAdmin(ctx)),
    products: (_: unknown, args: unknown, ctx: ProductsContext) => ctx.services.catalog.list(parseInput(productsArgsSchema, args), parseInput(pageArgsSchema, args), isAdmin(ctx)),
    category: (_: unknown, args: { id: string }, ctx: ProductsContext) => ctx.categoryById.load(args.id),
    categoryBySlug: (_: unknown, args: { slug: string }, ctx: ProductsContext) => ctx.services.categories.bySlug(parseInput(slugSchema, args.slug, ['slug'])),
    categories: (_: unknown, __: unknown, ctx: ProductsContext) => ctx.services.categories.list(),
  },
  Mutation: {
    createProduct: (_: unknown, args: { input: unknown }, ctx: ProductsContext) => {
      const actor = requireAdmin(ctx);
      return ctx.services.catalog.create(parseInput(createProductSchema, args.input, ['input']), actor);
    },
    updateProduct: (_: unknown, args: { id: unknown; input: unknown }, ctx: ProductsContext) => {
      requireAdmin(ctx);
      return ctx.services.catalog.update(parseInput(idArg, args.id, ['id']), parseInput(updateProductSchema, args.input, ['input']));
    },
    archiveProduct: (_: unknown, args: { id: unknown }, ctx: ProductsContext) => {
      requireAdmin(ctx);
      return ctx.services.catalog.archive(parseInput(idArg, args.id, ['id']));
    },
    adjustStock: (_: unknown, args: unknown, ctx: ProductsContext) => {
      const actor = requireAdmin(ctx);
      const { productId, delta, reason } = parseInput(adjustStockSchema, args);
      return ctx.services.catalog.adjustStock(productId, delta, reason, actor);
    },
    createCategory: (_: unknown, args: { input: unknown }, ctx: ProductsContext) => {
      requireAdmin(ctx);
      return ctx.services.categories.create(parseInput(createCategorySchema, args.input, ['input']));
    },
    updateCategory: (_: unknown, args: { id: unknown; input: unknown }, ctx: ProductsContext) => {
      requireAdmin(ctx);
      return ctx.services.categories.update(parseInput(idArg, args.id, ['id']), parseInput(updateCategorySchema, args.input, ['input']));
    },
    deleteCategory: (_: unknown, args: { id: unknown }, ctx: ProductsContext) => {
      requireAdmin(ctx);
      return ctx.services.categories.remove(parseInput(idArg, args.id, ['id']));
    },
    ...inventoryMutations,
  },
  Product: {
    // Entity references always resolve (an order keeps pointing at an archived product).
    __resolveReference: (ref: { id: string }, ctx: ProductsContext) => ctx.productById.load(ref.id),
    id: (p: ProductDoc) => p._id,
    category: (p: ProductDoc, _: unknown, ctx: ProductsContext) => (p.categoryId ? ctx.categoryById.load(p.categoryId) : null),
    images: (p: ProductDoc) => p.images ?? [],
    stock: (p: ProductDoc) => ({ onHand: p.onHand, reserved: p.reserved, available: p.onHand - p.reserved }),
    createdAt: (p: ProductDoc) => p.createdAt.toISOString(),
    updatedAt: (p: ProductDoc) => p.updatedAt.toISOString(),
  },
  Category: {
    id: (c: CategoryDoc) => c._id,
    parent: (c: CategoryDoc, _: unknown, ctx: ProductsContext) => (c.parentId ? ctx.categoryById.load(c.parentId) : null),
    children: (c: CategoryDoc, _: unknown, ctx: ProductsContext) => ctx.services.categories.children(c._id),
  },
  Reservation: reservationFields,
};
