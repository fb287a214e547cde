/**
 * The four small in-memory subgraphs of the nested-query benchmark, modelled on The Guild's
 * federation gateway benchmark (accounts, inventory, products, reviews) and its query: lists of
 * entities whose fields come from other subgraphs, back and forth twice. The data is generated so
 * that NESTED_QUERY answers about 80 KB, like the Guild's 87.6 KB.
 */
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';

export const NESTED_QUERY = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`;

interface User { id: string; name: string; username: string; birthday: number }
interface Product { upc: string; name: string; price: number; weight: number }
interface Review { id: string; body: string; authorId: string; upc: string }

const USERS = 8;
const PRODUCTS = 9;
const REVIEWS_PER_USER = 3;

const users: User[] = Array.from({ length: USERS }, (_, i) => ({ id: String(i + 1), name: `User Number ${i + 1}`, username: `user_${i + 1}`, birthday: 1980 + i }));
const products: Product[] = Array.from({ length: PRODUCTS }, (_, i) => ({ upc: String(i + 1), name: `Product ${i + 1}`, price: 100 * (i + 1) + 99, weight: 10 * (i + 1) }));
/** Every user reviews REVIEWS_PER_USER products, spread so that each product has about as many reviews. */
const reviews: Review[] = users.flatMap((u, i) =>
  Array.from({ length: REVIEWS_PER_USER }, (_, j) => {
    const product = products[(i * REVIEWS_PER_USER + j) % PRODUCTS];
    return { id: `${u.id}-${j + 1}`, body: `Review ${j + 1} by ${u.username} of ${product.name}: a sentence or two of text, as reviews have.`, authorId: u.id, upc: product.upc };
  }),
);
const byId = <T, K extends keyof T>(rows: T[], key: K) => new Map(rows.map((r) => [r[key], r]));
const usersById = byId(users, 'id');
const productsByUpc = byId(products, 'upc');
const reviewsById = byId(reviews, 'id');

interface SubgraphDefinition { name: string; typeDefs: DocumentNode; resolvers: GraphQLResolverMap<unknown> }
const FED = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])`;

export const NESTED_SUBGRAPHS: SubgraphDefinition[] = [
  {
    name: 'accounts',
    typeDefs: parse(`${FED}
      type Query { me: User users: [User] user(id: ID!): User }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`),
    resolvers: {
      Query: { me: () => users[0], users: () => users, user: (_: unknown, { id }: { id: string }) => usersById.get(id) ?? null },
      User: { __resolveReference: (ref: { id: string }) => usersById.get(ref.id) ?? null },
    },
  },
  {
    name: 'inventory',
    typeDefs: parse(`${FED}
      type Product @key(fields: "upc") { upc: String! weight: Int @external price: Int @external inStock: Boolean shippingEstimate: Int @requires(fields: "price weight") }`),
    resolvers: {
      Product: {
        __resolveReference: (ref: { upc: string; price?: number; weight?: number }) => ({ ...ref, inStock: Number(ref.upc) % 3 !== 0 }),
        // Free for expensive items, otherwise by weight.
        shippingEstimate: (p: { price?: number; weight?: number }) => (p.price ?? 0) > 1000 ? 0 : Math.round((p.weight ?? 0) / 2),
      },
    },
  },
  {
    name: 'products',
    typeDefs: parse(`${FED}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`),
    resolvers: {
      Query: { topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first) },
      Product: { __resolveReference: (ref: { upc: string }) => productsByUpc.get(ref.upc) ?? null },
    },
  },
  {
    name: 'reviews',
    typeDefs: parse(`${FED}
      type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`),
    resolvers: {
      Review: {
        __resolveReference: (ref: { id: string }) => reviewsById.get(ref.id) ?? null,
        author: (r: Review) => ({ __typename: 'User', id: r.authorId, username: usersById.get(r.authorId)?.username }),
        product: (r: Review) => ({ __typename: 'Product', upc: r.upc }),
      },
      User: { reviews: (u: { id: string }) => reviews.filter((r) => r.authorId === u.id) },
      Product: { reviews: (p: { upc: string }) => reviews.filter((r) => r.upc === p.upc) },
    },
  },
];

export function nestedSchemas(): Array<{ name: string; schema: GraphQLSchema }> {
  return NESTED_SUBGRAPHS.map((s) => ({ name: s.name, schema: buildSubgraphSchema([{ typeDefs: s.typeDefs, resolvers: s.resolvers as GraphQLResolverMap<unknown> }]) }));
}

/** The supergraph of the four, routed to `urls[name]`. */
export function composeNestedSupergraph(urls: Record<string, string>): string {
  const result = composeServices(NESTED_SUBGRAPHS.map((s) => ({ name: s.name, typeDefs: s.typeDefs, url: urls[s.name] })));
  if (result.errors) throw new Error(`nested supergraph does not compose: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}
