import type { ServiceConfig } from '../lib/config';
import { byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { productModel, type ProductDoc } from './model';
import { resolvers, type ProductsContext } from './resolvers';

export const typeDefs = loadSubgraphSchema('products');

export function startProductsService(config: ServiceConfig) {
  return startSubgraphService<ProductsContext, { products: ReturnType<typeof productModel> }>(
    {
      name: 'products',
      typeDefs,
      resolvers,
      redis: false,
      async setup({ conn }) {
        const products = productModel(conn);
        await ensureIndexes([products]);
        return { products };
      },
      context: (base, { products }) => ({ ...base, productById: byIdLoader<ProductDoc>(products) }),
    },
    config,
  );
}
