import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import gql from 'graphql-tag';
import type { DocumentNode } from 'graphql';

export const SUBGRAPHS_DIR = path.resolve(__dirname, '..');

/**
 * A subgraph's contract: its `schema.graphql` (which holds the one `extend schema @link`) plus any
 * `schema.<part>.graphql` beside it (e.g. schema.analytics.graphql, using `extend type Query`),
 * in name order. Composition and the running subgraph read exactly the same text.
 */
export function subgraphSdl(name: string): string {
  const dir = path.join(SUBGRAPHS_DIR, name);
  const parts = readdirSync(dir)
    .filter((f) => /^schema\.[a-z0-9-]+\.graphql$/.test(f))
    .sort();
  return ['schema.graphql', ...parts].map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

export function loadSubgraphSchema(name: string): DocumentNode {
  return gql(subgraphSdl(name));
}
