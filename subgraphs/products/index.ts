import type { ServiceConfig } from '../lib/config';
import { byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { openQueue, queueDeps, reservationExpiryQueue, type TypedQueue } from '../lib/queues';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { createStock, type Stock } from './stock';
import { createInventory, type Inventory } from './inventory';
import { createCatalog, type Catalog } from './catalog';
import { createCategories } from './categories';
import { catalogModels, type CatalogModels, type CategoryDoc, type ProductDoc } from './model';
import { resolvers, type ProductsContext, type ProductsServices } from './resolvers';

export const typeDefs = loadSubgraphSchema('products');

export type ProductsDeps = CatalogModels & {
  models: CatalogModels;
  stock: Stock;
  catalog: Catalog;
  inventory: Inventory;
  expiryQueue: TypedQueue<typeof reservationExpiryQueue.schema>;
  services: ProductsServices;
};

export function startProductsService(config: ServiceConfig) {
  return startSubgraphService<ProductsContext, ProductsDeps>(
    {
      name: 'products',
      typeDefs,
      resolvers,
      // Redis: reservations schedule their own delayed expiry jobs.
      redis: true,
      async setup({ conn, redis, logger }) {
        const models = catalogModels(conn);
        await ensureIndexes(Object.values(models));
        const expiryQueue = openQueue(reservationExpiryQueue, queueDeps(redis!, config.queuePrefix));
        const stock = createStock(models);
        const inventory = createInventory({ models, stock, expiryQueue, logger });
        const catalog = createCatalog(models, stock);
        // Products stored before the search index existed (or written around the catalog) get their entries.
        const backfilled = await catalog.searchIndex.backfill();
        if (backfilled) logger.info('search index backfilled', { products: backfilled });
        return { ...models, models, stock, catalog, inventory, expiryQueue, services: { catalog, categories: createCategories(models), inventory } };
      },
      context: (base, deps) => ({
        ...base,
        productById: byIdLoader<ProductDoc>(deps.products),
        categoryById: byIdLoader<CategoryDoc>(deps.categories),
        services: deps.services,
      }),
      closers: (deps) => [() => deps.expiryQueue.close()],
    },
    config,
  );
}
