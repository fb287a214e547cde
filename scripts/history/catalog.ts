import type { Connection } from 'mongoose';
import { categoryModel, productModel } from '../../subgraphs/products/model';
import type { PlanProduct } from './plan';

/** The active catalog as the history sells it (at today's prices), sorted by sku so every run sees the same list. */
export async function catalogForHistory(conn: Connection): Promise<PlanProduct[]> {
  const [products, categories] = await Promise.all([
    productModel(conn).find({ active: true }, { name: 1, sku: 1, priceCents: 1, currency: 1, categoryId: 1 }).sort({ sku: 1 }).lean(),
    categoryModel(conn).find({}, { slug: 1 }).lean(),
  ]);
  const slugById = new Map(categories.map((c) => [c._id, c.slug]));
  return products
    .filter((p) => p.currency === 'USD')
    .map((p) => ({
      productId: p._id,
      name: p.name,
      ...(p.sku ? { sku: p.sku } : {}),
      unitPriceCents: p.priceCents,
      currency: p.currency,
      category: p.categoryId ? slugById.get(p.categoryId) : undefined,
    }));
}
