import { z } from 'zod';
import { centsSchema, currencySchema } from '../lib/money';
import { PRODUCT_SORTS } from './sorts';

/** Input rules for the catalog's public queries and admin mutations (resolvers parse with these). */
const id = z.string().min(1).max(100);
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

export const skuSchema = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, . _ - (starting with a letter or digit)');
export const slugSchema = z.string().trim().max(100).regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters and digits separated by single hyphens');
export const imageUrlSchema = z
  .string()
  .max(2048)
  .url('must be a URL')
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http(s) URL' });
const images = z.array(imageUrlSchema).max(10, 'at most 10 images');
const stockUnits = z.number().int('must be a whole number').min(0, 'must not be negative').max(1_000_000_000);

export const createProductSchema = z.object({
  sku: skuSchema,
  name: text(200),
  description: z.string().trim().max(5000).nullish().transform((d) => d ?? ''),
  priceCents: centsSchema,
  currency: currencySchema,
  categoryId: id.nullish().transform((c) => c ?? null),
  images: images.nullish().transform((i) => i ?? []),
  initialStock: stockUnits.nullish().transform((s) => s ?? 0),
});
export type CreateProductInput = z.infer<typeof createProductSchema>;

export const updateProductSchema = z
  .object({
    sku: skuSchema,
    name: text(200),
    description: z.string().trim().max(5000),
    priceCents: centsSchema,
    currency: currencySchema,
    categoryId: id.nullable(),
    images,
    active: z.boolean(),
  })
  .partial()
  // GraphQL null for a non-nullable field means "leave it": drop it rather than fail later.
  .transform((u) => Object.fromEntries(Object.entries(u).filter(([k, v]) => v !== undefined && (v !== null || k === 'categoryId'))) as Partial<typeof u>);
export type UpdateProductInput = z.infer<typeof updateProductSchema>;

export const adjustStockSchema = z.object({
  productId: id,
  delta: z
    .number()
    .int('must be a whole number')
    .refine((d) => d !== 0, { message: 'must not be 0' })
    .refine((d) => Math.abs(d) <= 1_000_000_000, { message: 'too large' }),
  reason: text(500),
});

export const createCategorySchema = z.object({ name: text(100), slug: slugSchema, parentId: id.nullish().transform((p) => p ?? null) });
export const updateCategorySchema = z.object({ name: text(100), slug: slugSchema, parentId: id.nullable() }).partial();

export const MAX_SEARCH_WORDS = 10;

/** `products(filter, sort)`; its page arguments are lib/pagination's. */
export const productsArgsSchema = z.object({
  filter: z
    .object({
      categoryId: id.nullish(),
      includeDescendants: z.boolean().nullish(),
      minPriceCents: centsSchema.nullish(),
      maxPriceCents: centsSchema.nullish(),
      inStockOnly: z.boolean().nullish(),
      search: z.string().max(100).nullish(),
      active: z.boolean().nullish(),
    })
    .nullish()
    .transform((f) => f ?? {}),
  sort: z.enum(PRODUCT_SORTS).nullish().transform((s) => s ?? 'NEWEST'),
});
export type ProductsArgs = z.infer<typeof productsArgsSchema>;

/** Lower-cased words of a search, at most MAX_SEARCH_WORDS (the rest are ignored). */
export function searchWords(search: string | null | undefined): string[] {
  return [...new Set((search ?? '').toLowerCase().split(/\s+/).filter(Boolean))].slice(0, MAX_SEARCH_WORDS);
}
