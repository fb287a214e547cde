import { newId } from '../subgraphs/lib/ids';
import { startStack, postGraphQL, type TestStack } from './support/stack';
import { ORDER_QUERY } from './support/queries';
import { IDENTITY_HEADER, bindingFor, signIdentity } from '../subgraphs/lib/identity';


describe('one order query through the gateway spans all four subgraphs', () => {
  let stack: TestStack;
  const customerId = newId('customer');
  const otherCustomerId = newId('customer');
  const productIds = [newId('product'), newId('product'), newId('product')];
  const paymentId = newId('payment');
  const orderId = newId('order');

  beforeAll(async () => {
    stack = await startStack();
    await stack.customers.deps.service.models.customers.create([
      { _id: customerId, email: 'Ada@Example.com', name: 'Ada Lovelace' },
      { _id: otherCustomerId, email: 'bob@example.com', name: 'Bob' },
    ]);
    await stack.products.deps.products.create(
      productIds.map((id, i) => ({ _id: id, sku: `SKU-${i}-${id.slice(-6)}`, name: `Widget ${i}`, priceCents: 1000 + i, currency: 'USD', onHand: 5 })),
    );
    const lines = productIds.map((productId, i) => ({ productId, name: `Widget ${i}`, unitPriceCents: 1000 + i, quantity: i + 1 }));
    const amountCents = lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
    await stack.payments.deps.payments.create({ _id: paymentId, customerId, status: 'SUCCEEDED', lines, amountCents, currency: 'USD', reservationId: newId('reservation') });
    await stack.orders.deps.orders.create({ _id: orderId, paymentId, customerId, status: 'PAID', lines, amountCents, currency: 'USD', reservationId: newId('reservation') });
  });
  afterAll(() => stack?.stop());

  it('returns data from customers, products, orders and payments for the owner', async () => {
    const res = await stack.gql(ORDER_QUERY, { id: orderId }, { token: await stack.tokenFor(customerId) });
    expect(res.errors).toBeUndefined();
    expect(res.data.order).toEqual({
      id: orderId,
      status: 'PAID',
      amountCents: 1000 * 1 + 1001 * 2 + 1002 * 3,
      currency: 'USD',
      customer: { id: customerId, email: 'ada@example.com' },
      lines: productIds.map((id, i) => ({ quantity: i + 1, unitPriceCents: 1000 + i, product: { id, name: `Widget ${i}` } })),
      payment: { id: paymentId, status: 'SUCCEEDED' },
    });
  });

  it('resolves all product references of one request with a single database query', async () => {
    const conn = stack.products.deps.products.db;
    const queries: string[] = [];
    conn.set('debug', (collection: string, method: string) => queries.push(`${collection}.${method}`));
    try {
      const res = await stack.gql(ORDER_QUERY, { id: orderId }, { token: await stack.tokenFor(customerId) });
      expect(res.data.order.lines).toHaveLength(3);
    } finally {
      conn.set('debug', false);
    }
    expect(queries.filter((q) => q.startsWith('products.'))).toEqual(['products.find']);
  });

  it('refuses another customer with FORBIDDEN, the same as for an order that does not exist', async () => {
    const token = await stack.tokenFor(otherCustomerId);
    const theirs = await stack.gql(ORDER_QUERY, { id: orderId }, { token });
    const missing = await stack.gql(ORDER_QUERY, { id: newId('order') }, { token });
    expect(theirs.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(missing.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(theirs.errors?.[0].message).toBe(missing.errors?.[0].message);
  });

  it('asks anonymous callers to sign in and rejects a bad token', async () => {
    const anonymous = await stack.gql(ORDER_QUERY, { id: orderId });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const bad = await stack.gql(ORDER_QUERY, { id: orderId }, { token: 'not-a-jwt' });
    expect(bad.status).toBe(401);
    expect(bad.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a request sent straight to a subgraph with a forged identity', async () => {
    const forged = signIdentity({ sub: customerId, role: 'ADMIN', rid: 'forged' }, 'not-the-real-secret-0000000000000000', bindingFor('orders', { query: ORDER_QUERY, variables: { id: orderId } }));
    const res = await postGraphQL(`${stack.orders.url}/graphql`, ORDER_QUERY, { id: orderId }, { [IDENTITY_HEADER]: forged });
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data).toBeUndefined();
  });

  it('a captured identity header works only for its subgraph and its request', async () => {
    const query = `query Order($id: ID!) { order(id: $id) { id } }`;
    const captured = signIdentity({ sub: customerId, role: 'CUSTOMER', rid: 'captured' }, stack.config.internalSecret, bindingFor('orders', { query, variables: { id: orderId } }));
    const genuine = await postGraphQL<any>(`${stack.orders.url}/graphql`, query, { id: orderId }, { [IDENTITY_HEADER]: captured });
    expect(genuine.data.order).toEqual({ id: orderId });

    const otherVariables = await postGraphQL<any>(`${stack.orders.url}/graphql`, query, { id: 'ord_someone_else' }, { [IDENTITY_HEADER]: captured });
    expect(otherVariables.status).toBe(401);
    const otherQuery = await postGraphQL<any>(`${stack.orders.url}/graphql`, `{ myOrders { totalCount } }`, {}, { [IDENTITY_HEADER]: captured });
    expect(otherQuery.status).toBe(401);
    const otherSubgraph = await postGraphQL<any>(`${stack.payments.url}/graphql`, query, { id: orderId }, { [IDENTITY_HEADER]: captured });
    expect(otherSubgraph.status).toBe(401);
    expect(JSON.stringify(otherSubgraph.errors)).toMatch(/another subgraph/);
  });
});
