import type { Connection } from 'mongoose';
import { ensureIndexes } from '../lib/mongo';
import { mulberry32 } from '../lib/seeded-random';
import { catalogModels, nameKey, searchTerms } from './model';
import { createSearchIndex, prefixesOf } from './search-index';

/**
 * Demo catalog for `npm run seed`: a small category tree and a few hundred products with prices
 * and stock. Deterministic (seeded PRNG: the same options give the same catalog) and idempotent:
 * categories are upserted by slug and products by sku, and a product's stock is set only when it
 * is first inserted, so re-seeding never disturbs reservations or sales.
 */
export interface SeedCatalogOptions {
  products?: number;
  seed?: number;
  currency?: string;
}

const TREE: Array<{ slug: string; name: string; parent?: string }> = [
  { slug: 'home', name: 'Home' },
  { slug: 'lighting', name: 'Lighting', parent: 'home' },
  { slug: 'kitchen', name: 'Kitchen', parent: 'home' },
  { slug: 'clothing', name: 'Clothing' },
  { slug: 'shirts', name: 'Shirts', parent: 'clothing' },
  { slug: 'shoes', name: 'Shoes', parent: 'clothing' },
  { slug: 'outdoor', name: 'Outdoor' },
  { slug: 'camping', name: 'Camping', parent: 'outdoor' },
];
const NOUNS: Record<string, string[]> = {
  lighting: ['Desk Lamp', 'Floor Lamp', 'Pendant Light', 'LED Strip', 'Wall Sconce'],
  kitchen: ['Chef Knife', 'Cast Iron Pan', 'Espresso Cup', 'Cutting Board', 'Kettle'],
  shirts: ['Oxford Shirt', 'Linen Shirt', 'T-Shirt', 'Flannel Shirt', 'Polo'],
  shoes: ['Running Shoe', 'Leather Boot', 'Sneaker', 'Sandal', 'Loafer'],
  camping: ['Tent', 'Sleeping Bag', 'Headlamp', 'Camp Stove', 'Water Filter'],
};
const ADJECTIVES = ['Classic', 'Compact', 'Premium', 'Everyday', 'Nordic', 'Vintage', 'Ultralight', 'Organic', 'Heritage', 'Modern'];
const COLOURS = ['Black', 'White', 'Oak', 'Navy', 'Olive', 'Sand', 'Red', 'Grey'];


/** Stable ids derived from the natural key, so every seeded database agrees. */
const stableId = (prefix: string, key: string) => `${prefix}_${Buffer.from(key).toString('hex').padEnd(24, '0').slice(0, 24)}`;

export async function seedCatalog(conn: Connection, opts: SeedCatalogOptions = {}): Promise<{ categories: number; products: number }> {
  const models = catalogModels(conn);
  await ensureIndexes(Object.values(models));
  const random = mulberry32(opts.seed ?? 42);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const currency = opts.currency ?? 'USD';

  const idBySlug = new Map<string, string>();
  for (const c of TREE) {
    const parentId = c.parent ? idBySlug.get(c.parent)! : null;
    const parent = parentId ? await models.categories.findById(parentId).lean() : null;
    const ancestors = parent ? [...parent.ancestors, parent._id] : [];
    const doc = await models.categories
      .findOneAndUpdate({ slug: c.slug }, { $set: { name: c.name, parentId, ancestors }, $setOnInsert: { _id: stableId('cat', c.slug) } }, { upsert: true, new: true })
      .lean();
    idBySlug.set(c.slug, doc!._id);
  }

  const searchIndex = createSearchIndex(models);
  const leaves = Object.keys(NOUNS);
  const count = opts.products ?? 300;
  for (let i = 0; i < count; i++) {
    const leaf = leaves[i % leaves.length];
    const name = `${pick(ADJECTIVES)} ${pick(COLOURS)} ${pick(NOUNS[leaf])}`;
    const sku = `${leaf.slice(0, 3).toUpperCase()}-${String(i + 1).padStart(5, '0')}`;
    const description = `${name}. Part of our ${leaf} range, built to last and easy to care for.`;
    const priceCents = 500 + Math.floor(random() * 400) * 50 - 1;
    const onHand = Math.floor(random() * 60);
    const images = [`https://images.example.com/products/${sku.toLowerCase()}.jpg`];
    const createdAt = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000);
    // New terms get their search entries first, at the product's next version (search-index.ts);
    // entries of replaced terms stay behind, which only costs a re-check. Unchanged: nothing to do.
    const terms = searchTerms({ sku, name, description });
    const existing = await models.products.findOne({ sku }, { _id: 1, searchVersion: 1, searchTerms: 1 }).lean();
    const unchanged = existing?.searchVersion != null && existing.searchTerms.join(' ') === terms.join(' ');
    const version = unchanged ? existing.searchVersion! : (existing?.searchVersion ?? 0) + 1;
    if (!unchanged) await searchIndex.add(existing?._id ?? stableId('prod', sku), prefixesOf(terms), version);
    await models.products.updateOne(
      { sku },
      {
        $set: { name, description, priceCents, currency, categoryId: idBySlug.get(leaf)!, images, nameKey: nameKey(name), searchTerms: terms },
        $max: { searchVersion: version },
        $setOnInsert: { _id: stableId('prod', sku), active: true, onHand, reserved: 0, available: onHand, holds: [], returning: [], createdAt, updatedAt: createdAt },
      },
      { upsert: true, timestamps: false },
    );
  }
  return { categories: TREE.length, products: count };
}
