import { BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import type { CatalogModels, CategoryDoc } from './model';

/**
 * The category tree. Each category stores its ancestors, so "X and everything under it" is one
 * indexed query (`{ ancestors: X }`). Moving a category rewrites its subtree's ancestors; the tree
 * is small and edited rarely by admins, so that is a handful of single-document updates.
 */
export function createCategories(models: CatalogModels) {
  const { categories, products } = models;

  function slugTaken(err: unknown): never {
    if (isDuplicateKeyError(err)) throw new ConflictError('A category with this slug already exists', { reason: 'SLUG_TAKEN', field: 'input.slug' });
    throw err;
  }

  async function parentAncestors(parentId: string | null): Promise<string[]> {
    if (!parentId) return [];
    const parent = await categories.findById(parentId).lean();
    if (!parent) throw new BadUserInputError('input.parentId: no such category', ['input', 'parentId']);
    return [...parent.ancestors, parent._id];
  }

  async function create(input: { name: string; slug: string; parentId: string | null }): Promise<CategoryDoc> {
    const ancestors = await parentAncestors(input.parentId);
    const created = await categories.create({ _id: newId('category'), ...input, ancestors }).catch(slugTaken);
    return created.toObject();
  }

  async function update(id: string, input: { name?: string; slug?: string; parentId?: string | null }): Promise<CategoryDoc> {
    const current = await categories.findById(id).lean();
    if (!current) throw new NotFoundError('Category');
    const set: Partial<CategoryDoc> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.slug !== undefined) set.slug = input.slug;
    const moving = input.parentId !== undefined && input.parentId !== current.parentId;
    if (moving) {
      const ancestors = await parentAncestors(input.parentId!);
      if (input.parentId === id || ancestors.includes(id)) throw new BadUserInputError('input.parentId: a category cannot move under itself', ['input', 'parentId']);
      set.parentId = input.parentId!;
      set.ancestors = ancestors;
    }
    const updated = await categories.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean().catch(slugTaken);
    if (!updated) throw new NotFoundError('Category');
    if (moving) await rewriteSubtree(updated);
    return updated;
  }

  /** Descendants keep their path below `root` and take root's new path above it. */
  async function rewriteSubtree(root: CategoryDoc): Promise<void> {
    const descendants = await categories.find({ ancestors: root._id }).lean();
    for (const d of descendants) {
      const below = d.ancestors.slice(d.ancestors.indexOf(root._id));
      await categories.updateOne({ _id: d._id }, { $set: { ancestors: [...root.ancestors, ...below] } });
    }
  }

  async function remove(id: string): Promise<boolean> {
    if (!(await categories.exists({ _id: id }))) throw new NotFoundError('Category');
    if (await categories.exists({ parentId: id })) throw new ConflictError('The category has sub-categories', { reason: 'CATEGORY_HAS_CHILDREN' });
    // Both values of `active` spelled out, so the {active, categoryId, ...} index serves it.
    if (await products.exists({ active: { $in: [true, false] }, categoryId: id })) throw new ConflictError('The category has products', { reason: 'CATEGORY_HAS_PRODUCTS' });
    await categories.deleteOne({ _id: id });
    return true;
  }

  // Reads return promises (exec), never mongoose Query thenables: GraphQL may call `then` on a
  // resolver's result more than once, and a Query runs only once ("Query was already executed").
  const list = () => categories.find().sort({ name: 1, _id: 1 }).lean<CategoryDoc[]>().exec();
  const bySlug = (slug: string) => categories.findOne({ slug }).lean<CategoryDoc>().exec();
  /** Served by the {parentId, name, _id} index. */
  const children = (parentId: string) => categories.find({ parentId }).sort({ name: 1, _id: 1 }).lean<CategoryDoc[]>().exec();

  return { create, update, remove, list, bySlug, children };
}
export type Categories = ReturnType<typeof createCategories>;
