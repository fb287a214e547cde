import { bindingFor, requestDigest, verifyIdentity } from '../../subgraphs/lib/identity';
import { RequestSigner } from './request-signer';

/**
 * The gateway serializes a call's variables once and signs that string; the subgraph re-serializes
 * what it parsed. Both must come to the same digest, or every call would be refused.
 */
describe('the identity signed for one subgraph call', () => {
  const secret = 'test-secret-0123456789-0123456789-abcdef';
  const query = 'query Q($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { name } } }';
  const variableSets: Record<string, unknown>[] = [
    {},
    { id: 'prod_1' },
    { representations: [{ __typename: 'Product', upc: '1', price: 899, weight: 0.5 }, { __typename: 'Product', upc: '2', price: -0, weight: 1e21 }] },
    { text: 'naïve 日本語 emoji 🎉 quote " backslash \\ newline \n tab \t', lone: '\ud800', nested: { b: [1, { c: null }], a: true } },
    { '2': 'numeric keys come first', a: 1, '1': 'in order' },
  ];

  it.each(variableSets.map((v) => [JSON.stringify(v).slice(0, 40), v]))('digests %s as the subgraph will', (_label, variables) => {
    const signer = new RequestSigner(secret);
    const sent = JSON.stringify(variables);
    const asSubgraphSees = JSON.parse(`{"query":${JSON.stringify(query)},"variables":${sent}}`);
    expect(signer.digest(query, sent)).toBe(requestDigest(asSubgraphSees));
    expect(signer.digest(query, sent)).toBe(signer.digest(query, sent)); // the cached prefix is copied, not consumed
  });

  it('verifies for its subgraph and request only', () => {
    const signer = new RequestSigner(secret);
    const variables = { id: 'ord_1' };
    const header = signer.sign({ role: 'CUSTOMER', sub: 'cus_1', rid: 'req-1' }, 'orders', query, JSON.stringify(variables));
    expect(verifyIdentity(header, secret, bindingFor('orders', { query, variables }))).toMatchObject({ ok: true, identity: { sub: 'cus_1', aud: 'orders' } });
    expect(verifyIdentity(header, secret, bindingFor('payments', { query, variables }))).toMatchObject({ ok: false });
    expect(verifyIdentity(header, secret, bindingFor('orders', { query, variables: { id: 'ord_2' } }))).toMatchObject({ ok: false });
  });

  it('keeps a bounded number of query prefixes', () => {
    const signer = new RequestSigner(secret, 3);
    for (let i = 0; i < 10; i++) signer.digest(`query Q${i} { a }`, '{}');
    expect((signer as unknown as { prefixes: Map<string, unknown> }).prefixes.size).toBe(3);
    expect(signer.digest('query Q0 { a }', '{}')).toBe(requestDigest({ query: 'query Q0 { a }', variables: {} }));
  });
});
