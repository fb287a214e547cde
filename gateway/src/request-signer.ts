import { createHash, type Hash } from 'node:crypto';
import { signIdentity, type Identity } from '../../subgraphs/lib/identity';

/**
 * Signs the identity header of one subgraph call, bound to that subgraph and to a digest of the
 * call's query and variables (subgraphs/lib/identity.ts: requestDigest), without redoing work:
 *  - the variables are serialized once, by the caller, and that one string is both hashed here and
 *    sent as the body (it is what the subgraph re-serializes after parsing, byte for byte);
 *  - the query of a subgraph call comes from a cached query plan, so the hash state after
 *    "<query>\n" is kept per query text and copied, and only the variables are hashed per call.
 */
export class RequestSigner {
  /** Hash states after "<query>\n", by query text; bounded, as plans are. */
  private readonly prefixes = new Map<string, Hash>();

  constructor(private readonly secret: string, private readonly maxQueries = 1_000) {}

  /** Equal to requestDigest({ query, variables: JSON.parse(variablesJson) }). */
  digest(query: string, variablesJson: string): string {
    return this.prefixFor(query).copy().update(variablesJson).digest('base64url');
  }

  sign(identity: Omit<Identity, 'iat' | 'aud' | 'bh'>, subgraph: string, query: string, variablesJson: string): string {
    return signIdentity(identity, this.secret, { aud: subgraph, bh: this.digest(query, variablesJson) });
  }

  private prefixFor(query: string): Hash {
    let prefix = this.prefixes.get(query);
    if (!prefix) {
      if (this.prefixes.size >= this.maxQueries) this.prefixes.delete(this.prefixes.keys().next().value!);
      prefix = createHash('sha256').update(query).update('\n');
      this.prefixes.set(query, prefix);
    }
    return prefix;
  }
}
