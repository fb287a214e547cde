/**
 * bench:catalog's catalog: a three-level category tree and N products with realistic names,
 * descriptions, prices, stock and ages. Deterministic (the same N gives the same catalog, word for
 * word), so figures from two runs are comparable. Documents are built whole here, derived fields
 * through the model's own functions, and bulk-inserted: 50,000 products in seconds.
 */
import type { AnyBulkWriteOperation } from 'mongoose';
import type { CatalogModels, CategoryDoc, ProductDoc } from '../../subgraphs/products/model';
import { nameKey, searchTerms } from '../../subgraphs/products/model';
import { mulberry32 } from '../../subgraphs/lib/seeded-random';

/** Root → children → nouns sold in each child. */
const TREE: Record<string, Record<string, string[]>> = {
  home: {
    lighting: ['Desk Lamp', 'Floor Lamp', 'Pendant Light', 'LED Strip', 'Wall Sconce'],
    kitchen: ['Chef Knife', 'Cast Iron Pan', 'Espresso Cup', 'Cutting Board', 'Kettle'],
    furniture: ['Armchair', 'Side Table', 'Bookshelf', 'Desk Chair', 'Bench'],
    textiles: ['Throw Blanket', 'Cushion Cover', 'Bath Towel', 'Duvet Cover', 'Rug'],
  },
  clothing: {
    shirts: ['Oxford Shirt', 'Linen Shirt', 'T-Shirt', 'Flannel Shirt', 'Polo'],
    shoes: ['Running Shoe', 'Leather Boot', 'Sneaker', 'Sandal', 'Loafer'],
    outerwear: ['Rain Jacket', 'Down Parka', 'Fleece Vest', 'Wool Coat', 'Windbreaker'],
    accessories: ['Wool Scarf', 'Leather Belt', 'Beanie', 'Canvas Tote', 'Sunglasses'],
  },
  outdoor: {
    camping: ['Tent', 'Sleeping Bag', 'Headlamp', 'Camp Stove', 'Water Filter'],
    cycling: ['Bike Helmet', 'Bike Light', 'Saddle Bag', 'Cycling Jersey', 'Pump'],
    garden: ['Garden Hose', 'Pruning Shears', 'Planter', 'Watering Can', 'Trowel'],
  },
  electronics: {
    audio: ['Headphones', 'Bluetooth Speaker', 'Earbuds', 'Turntable', 'Soundbar'],
    computing: ['Mechanical Keyboard', 'Wireless Mouse', 'USB Hub', 'Laptop Stand', 'Monitor Arm'],
    phones: ['Phone Case', 'Charging Cable', 'Power Bank', 'Screen Protector', 'Car Mount'],
  },
  sports: {
    fitness: ['Yoga Mat', 'Kettlebell', 'Resistance Band', 'Foam Roller', 'Jump Rope'],
    team: ['Football', 'Basketball', 'Shin Guards', 'Goalkeeper Gloves', 'Training Cone'],
  },
};
const ADJECTIVES = ['Classic', 'Compact', 'Premium', 'Everyday', 'Nordic', 'Vintage', 'Ultralight', 'Organic', 'Heritage', 'Modern', 'Rugged', 'Essential', 'Deluxe', 'Slim', 'Studio'];
const MATERIALS = ['Oak', 'Walnut', 'Steel', 'Cotton', 'Linen', 'Wool', 'Leather', 'Bamboo', 'Ceramic', 'Recycled'];
const COLOURS = ['Black', 'White', 'Navy', 'Olive', 'Sand', 'Red', 'Grey', 'Forest', 'Rust', 'Sky'];
const BRANDS = ['Northwind', 'Fjellbo', 'Castor', 'Meridian', 'Halden', 'Oakridge', 'Lumen', 'Tidewater', 'Brisa', 'Kestrel', 'Sundry', 'Ashgrove'];
const FEATURES = ['water-resistant finish', 'hand-stitched seams', 'a lifetime warranty', 'replaceable parts', 'a soft-touch grip', 'a matte coating', 'quick-release fittings', 'reinforced corners', 'fair-trade materials', 'a compact fold'];
const USES = ['everyday use', 'small apartments', 'weekend trips', 'the home office', 'busy kitchens', 'long commutes', 'cold mornings', 'gift giving', 'outdoor adventures', 'family dinners'];
/** One product in RARE_EVERY carries one of these words, so a search for it finds a handful. */
export const RARE_WORDS = ['aurora', 'zephyr', 'obsidian', 'quartzite', 'marigold'];
const RARE_EVERY = 2000;


export interface BenchCatalog {
  rootId: string;
  leafId: string;
  categories: number;
}

const catId = (slug: string) => `cat_bench_${slug}`;
const LEAVES = Object.entries(TREE).flatMap(([root, children]) => Object.entries(children).map(([leaf, nouns]) => ({ root, leaf, nouns })));
const EPOCH = Date.UTC(2023, 0, 1);

function categoryDocs(): CategoryDoc[] {
  const at = new Date(EPOCH);
  const doc = (slug: string, parent: string | null): CategoryDoc => ({
    _id: catId(slug), name: slug[0].toUpperCase() + slug.slice(1), slug: `bench-${slug}`, parentId: parent && catId(parent), ancestors: parent ? [catId(parent)] : [], createdAt: at, updatedAt: at,
  });
  return [...Object.keys(TREE).map((root) => doc(root, null)), ...LEAVES.map((l) => doc(l.leaf, l.root))];
}

export function productDoc(i: number): ProductDoc {
  // Seeded per product: product i is the same in every run whatever N is.
  const random = mulberry32(i + 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const { leaf, nouns } = LEAVES[i % LEAVES.length];
  const brand = pick(BRANDS);
  const name = `${brand} ${pick(ADJECTIVES)} ${pick(MATERIALS)} ${pick(COLOURS)} ${pick(nouns)}`;
  const rare = i % RARE_EVERY === 7 ? ` Limited ${RARE_WORDS[Math.floor(i / RARE_EVERY) % RARE_WORDS.length]} edition.` : '';
  const description = `The ${name} by ${brand}, made for ${pick(USES)}. It comes with ${pick(FEATURES)} and ${pick(FEATURES)}. Part of our ${leaf} range.${rare}`;
  const sku = `${leaf.slice(0, 3).toUpperCase()}-${String(i + 1).padStart(6, '0')}`;
  const onHand = random() < 0.15 ? 0 : Math.floor(random() * 200);
  const createdAt = new Date(EPOCH + i * 600_000);
  return {
    _id: `prod_bench${String(i).padStart(8, '0')}`, sku, name, description,
    priceCents: 199 + Math.floor(random() * 2000) * 50, currency: 'USD', categoryId: catId(leaf),
    images: [`https://images.example.com/products/${sku.toLowerCase()}.jpg`], active: random() > 0.03,
    onHand, reserved: 0, available: onHand, holds: [], returning: [],
    nameKey: nameKey(name), searchTerms: searchTerms({ sku, name, description }), createdAt, updatedAt: createdAt,
  };
}

/** Inserts the tree and N products (batches of 1,000), unversioned: the search index's backfill indexes them. */
export async function seedBenchCatalog(models: CatalogModels, n: number, log: (m: string) => void): Promise<BenchCatalog> {
  const cats = categoryDocs();
  await models.categories.bulkWrite(cats.map((c): AnyBulkWriteOperation<CategoryDoc> => ({ replaceOne: { filter: { _id: c._id }, replacement: c, upsert: true } })));
  const started = Date.now();
  for (let i = 0; i < n; i += 1000) {
    const docs = Array.from({ length: Math.min(1000, n - i) }, (_, k) => productDoc(i + k));
    await models.products.collection.insertMany(docs as never[], { ordered: false });
    if ((i + 1000) % 10000 === 0) log(`inserted ${i + 1000} products in ${Math.round((Date.now() - started) / 1000)}s`);
  }
  return { rootId: catId('home'), leafId: catId('lighting'), categories: cats.length };
}
