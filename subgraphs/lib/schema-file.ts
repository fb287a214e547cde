import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import gql from 'graphql-tag';
import type { DocumentNode } from 'graphql';

export const SUBGRAPHS_DIR = path.resolve(__dirname, '..');

/** Types every subgraph declares the same way (PageInfo), written once. */
const SHARED_SDL = path.join(__dirname, 'schema.shared.graphql');

/**
 * A subgraph's contract: its `schema.graphql` (which holds the one `extend schema @link`) plus any
 * `schema.<part>.graphql` beside it (e.g. schema.analytics.graphql, using `extend type Query`),
 * in name order, plus the shared types. Composition and the running subgraph read exactly the same text.
 */
export function subgraphSdl(name: string): string {
  const dir = path.join(SUBGRAPHS_DIR, name);
  const parts = readdirSync(dir)
    .filter((f) => /^schema\.[a-z0-9-]+\.graphql$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  return [path.join(dir, 'schema.graphql'), ...parts, SHARED_SDL].map((f) => readFileSync(f, 'utf8')).join('\n');
}

export function loadSubgraphSchema(name: string): DocumentNode {
  return gql(subgraphSdl(name));
}
