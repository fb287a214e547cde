import { readFileSync } from 'node:fs';
import gql from 'graphql-tag';
import type { DocumentNode } from 'graphql';

/** Each subgraph's contract is a .graphql file beside its resolvers; this loads it. */
export function loadSchema(path: string): DocumentNode {
  return gql(readFileSync(path, 'utf8'));
}
