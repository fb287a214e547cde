import { newId } from '../subgraphs/lib/ids';
import { IDENTITY_HEADER, bindingFor, signIdentity } from '../subgraphs/lib/identity';
import { postGraphQL, startStack, type TestStack } from './support/stack';
import { codeOf, registerCustomer, signInAdmin, type Session } from './auth-flows';

const ADD_ADDRESS = `mutation($input: AddAddressInput!) { addAddress(input: $input) { id } }`;
const PRIVATE_FIELDS = 'id name email addresses { id line1 } defaultShippingAddress { id } disabled';
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { ${PRIVATE_FIELDS} } } }`;
const CHECKOUT_ADDRESS = `query($c: ID!, $a: ID!) { shippingAddressForCheckout(customerId: $c, addressId: $a) { name line1 line2 city postalCode region country } }`;

describe("a customer's private data stays private through every entry point", () => {
  let stack: TestStack;
  let alice: Session;
  let bob: Session;
  let admin: Session;
  let aliceAddressId: string;
  const orderId = newId('order');

  /** Straight to the customers subgraph, with an identity signed by the real secret (as the gateway would). */
  const asSubgraphCaller = (identity: Parameters<typeof signIdentity>[0], query: string, variables: Record<string, unknown> = {}, secret = stack.config.internalSecret) =>
    postGraphQL<any>(`${stack.customers.url}/graphql`, query, variables, { [IDENTITY_HEADER]: signIdentity(identity, secret, bindingFor('customers', { query, variables })) });

  beforeAll(async () => {
    stack = await startStack();
    [alice, bob, admin] = await Promise.all([registerCustomer(stack, { name: 'Alice' }), registerCustomer(stack, { name: 'Bob' }), signInAdmin(stack)]);
    const added = await stack.gql(ADD_ADDRESS, { input: { line1: '1 Private Lane', city: 'Springfield', postalCode: '12345', country: 'us' } }, { token: alice.accessToken });
    aliceAddressId = added.data.addAddress.id;
    const lines = [{ productId: newId('product'), name: 'Widget', unitPriceCents: 1500, quantity: 1 }];
    await stack.orders.deps.orders.create({ _id: orderId, paymentId: newId('payment'), customerId: alice.customer.id, status: 'PAID', lines, amountCents: 1500, currency: 'USD', reservationId: newId('reservation') });
  });
  afterAll(() => stack?.stop());

  it('asking for another customer by id is FORBIDDEN, exactly as for an id that does not exist', async () => {
    const theirs = await stack.gql(`query($id: ID!) { customer(id: $id) { ${PRIVATE_FIELDS} } }`, { id: alice.customer.id }, { token: bob.accessToken });
    const missing = await stack.gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: newId('customer') }, { token: bob.accessToken });
    expect(codeOf(theirs)).toBe('FORBIDDEN');
    expect(theirs.data?.customer ?? null).toBeNull();
    expect(theirs.errors![0].message).toBe(missing.errors![0].message);
  });

  it('the owner sees their email and addresses on an order, reached as an entity through the gateway', async () => {
    const query = `query($id: ID!) { order(id: $id) { id customer { id email addresses { id line1 } } } }`;
    const own = await stack.gql(query, { id: orderId }, { token: alice.accessToken });
    expect(own.errors).toBeUndefined();
    expect(own.data.order.customer).toEqual({ id: alice.customer.id, email: alice.customer.email, addresses: [{ id: aliceAddressId, line1: '1 Private Lane' }] });
    const someoneElse = await stack.gql(query, { id: orderId }, { token: bob.accessToken });
    expect(codeOf(someoneElse)).toBe('FORBIDDEN');
    expect(JSON.stringify(someoneElse)).not.toContain(alice.customer.email);
  });

  it('a direct _entities call signed as another CUSTOMER gets the public fields only', async () => {
    const res = await asSubgraphCaller({ sub: bob.customer.id, role: 'CUSTOMER', rid: 'entities-bob' }, ENTITIES, { r: [{ __typename: 'Customer', id: alice.customer.id }] });
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([{ id: alice.customer.id, name: 'Alice', email: null, addresses: null, defaultShippingAddress: null, disabled: null }]);
    const anonymous = await asSubgraphCaller({ role: 'ANONYMOUS', rid: 'entities-anon' }, ENTITIES, { r: [{ __typename: 'Customer', id: alice.customer.id }] });
    expect(anonymous.data._entities[0]).toMatchObject({ email: null, addresses: null });
    const own = await asSubgraphCaller({ sub: alice.customer.id, role: 'CUSTOMER', rid: 'entities-alice' }, ENTITIES, { r: [{ __typename: 'Customer', id: alice.customer.id }] });
    expect(own.data._entities[0]).toMatchObject({ email: alice.customer.email, addresses: [{ id: aliceAddressId, line1: '1 Private Lane' }], defaultShippingAddress: { id: aliceAddressId }, disabled: false });
  });

  it('requests straight to the subgraph without a valid gateway signature are refused with 401', async () => {
    const forged = await asSubgraphCaller({ sub: alice.customer.id, role: 'ADMIN', rid: 'forged' }, ENTITIES, { r: [{ __typename: 'Customer', id: alice.customer.id }] }, 'not-the-real-secret-000000000000000000');
    expect(forged.status).toBe(401);
    expect(codeOf(forged)).toBe('UNAUTHENTICATED');
    expect(forged.data).toBeUndefined();
    const unsigned = await postGraphQL(`${stack.customers.url}/graphql`, '{ me { id email } }', {}, { authorization: `Bearer ${alice.accessToken}` });
    expect(unsigned.status).toBe(401);
    const stale = await asSubgraphCaller({ sub: alice.customer.id, role: 'CUSTOMER', rid: 'stale', iat: Math.floor(Date.now() / 1000) - 3600 }, '{ me { id } }');
    expect(stale.status).toBe(401);
  });

  it('admin-only operations are FORBIDDEN for customers and UNAUTHENTICATED for anonymous callers', async () => {
    const operations: Array<[string, Record<string, unknown>]> = [
      ['query { customers { totalCount edges { node { id email } } } }', {}],
      ['query($id: ID!) { customer(id: $id) { id } }', { id: alice.customer.id }],
      ['mutation($id: ID!) { disableCustomer(id: $id) { id } }', { id: alice.customer.id }],
      ['mutation($id: ID!) { enableCustomer(id: $id) { id } }', { id: alice.customer.id }],
    ];
    for (const [query, variables] of operations) {
      const asCustomer = await stack.gql(query, variables, { token: bob.accessToken });
      expect([query, codeOf(asCustomer)]).toEqual([query, 'FORBIDDEN']);
      const anonymous = await stack.gql(query, variables);
      expect([query, codeOf(anonymous)]).toEqual([query, 'UNAUTHENTICATED']);
    }
    const stillEnabled = await stack.customers.deps.service.models.customers.findById(alice.customer.id).lean();
    expect(stillEnabled!.disabled).toBe(false);
  });

  it('an admin sees any customer in full', async () => {
    const res = await stack.gql(`query($id: ID!) { customer(id: $id) { ${PRIVATE_FIELDS} } }`, { id: alice.customer.id }, { token: admin.accessToken });
    expect(res.data.customer).toMatchObject({ email: alice.customer.email, addresses: [{ id: aliceAddressId }], disabled: false });
  });

  it('the checkout address is internal: absent from the gateway, refused to customers, a snapshot for services', async () => {
    const viaGateway = await stack.gql(CHECKOUT_ADDRESS, { c: alice.customer.id, a: aliceAddressId }, { token: admin.accessToken });
    expect(codeOf(viaGateway)).toBe('GRAPHQL_VALIDATION_FAILED');
    const asCustomer = await asSubgraphCaller({ sub: alice.customer.id, role: 'CUSTOMER', rid: 'checkout-alice' }, CHECKOUT_ADDRESS, { c: alice.customer.id, a: aliceAddressId });
    expect(codeOf(asCustomer)).toBe('FORBIDDEN');
    const asService = await asSubgraphCaller({ sub: 'payments', role: 'SERVICE', rid: 'checkout-svc' }, CHECKOUT_ADDRESS, { c: alice.customer.id, a: aliceAddressId });
    expect(asService.data.shippingAddressForCheckout).toEqual({ name: 'Alice', line1: '1 Private Lane', line2: null, city: 'Springfield', postalCode: '12345', region: null, country: 'US' });
    const notTheirs = await asSubgraphCaller({ sub: 'payments', role: 'SERVICE', rid: 'checkout-svc2' }, CHECKOUT_ADDRESS, { c: bob.customer.id, a: aliceAddressId });
    expect(codeOf(notTheirs)).toBe('NOT_FOUND');
  });
});
