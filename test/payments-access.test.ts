import { newId } from '../subgraphs/lib/ids';
import { IDENTITY_HEADER, bindingFor, signIdentity } from '../subgraphs/lib/identity';
import { startPaymentsService } from '../subgraphs/payments';
import { loadPayment, seedPayment } from './support/payments';
import { postGraphQL, startStack, type TestStack } from './support/stack';

const PAYMENT = `query Payment($id: ID!) { payment(id: $id) { id status amountCents currency lines { name sku unitPriceCents quantity product { id } } shippingAddress { city country } } }`;
const CONFIRM = `mutation Confirm($paymentId: ID!) { confirmPayment(paymentId: $paymentId) { id status } }`;
const SIMULATE = `mutation Simulate($paymentId: ID!, $outcome: SimulatedPaymentOutcome!) { simulatePaymentWebhook(paymentId: $paymentId, outcome: $outcome) { id status failureReason } }`;
const MY_PAYMENTS = `query Mine($first: Int, $after: String) { myPayments(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } }`;
const ADMIN_PAYMENTS = `query All($filter: PaymentFilter, $first: Int, $after: String) { payments(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage } edges { node { id status } } } }`;
const nodes = (connection: { edges: Array<{ node: unknown }> }) => connection.edges.map((e) => e.node);

describe('payments are visible and actionable only by their owner (and admins)', () => {
  let stack: TestStack;
  const owner = newId('customer');
  const stranger = newId('customer');
  let ownerToken: string;
  let strangerToken: string;
  let adminToken: string;

  beforeAll(async () => {
    stack = await startStack();
    [ownerToken, strangerToken, adminToken] = await Promise.all([stack.tokenFor(owner), stack.tokenFor(stranger), stack.tokenFor(newId('customer'), 'ADMIN')]);
  });
  afterAll(() => stack?.stop());

  it('the owner reads their payment with its line snapshot; another customer gets FORBIDDEN, as for a missing one', async () => {
    const payment = await seedPayment(stack, { customerId: owner });
    const mine = await stack.gql(PAYMENT, { id: payment._id }, { token: ownerToken });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.payment).toMatchObject({ id: payment._id, status: 'PENDING', amountCents: 3000, currency: 'USD', shippingAddress: { city: 'London', country: 'GB' } });
    expect(mine.data.payment.lines[0]).toEqual({ name: 'Widget', sku: 'W-1', unitPriceCents: 1250, quantity: 2, product: { id: payment.lines[0].productId } });

    const theirs = await stack.gql(PAYMENT, { id: payment._id }, { token: strangerToken });
    const missing = await stack.gql(PAYMENT, { id: newId('payment') }, { token: strangerToken });
    expect(theirs.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(theirs.errors?.[0].message).toBe(missing.errors?.[0].message);
  });

  it('only the owner can confirm a payment (Stripe is asked for the intent right away)', async () => {
    const payment = await seedPayment(stack, { customerId: owner });
    const byStranger = await stack.gql(CONFIRM, { paymentId: payment._id }, { token: strangerToken });
    expect(byStranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const byOwner = await stack.gql(CONFIRM, { paymentId: payment._id }, { token: ownerToken });
    expect(byOwner.errors).toBeUndefined();
    expect(byOwner.data.confirmPayment.id).toBe(payment._id);
  });

  it('a developer completes a payment from the Sandbox with a simulated, signed webhook; strangers cannot', async () => {
    const payment = await seedPayment(stack, { customerId: owner });
    const byStranger = await stack.gql(SIMULATE, { paymentId: payment._id, outcome: 'SUCCEEDED' }, { token: strangerToken });
    expect(byStranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await loadPayment(stack, payment._id)).status).toBe('PENDING');

    const paid = await stack.gql(SIMULATE, { paymentId: payment._id, outcome: 'SUCCEEDED' }, { token: ownerToken });
    expect(paid.errors).toBeUndefined();
    expect(paid.data.simulatePaymentWebhook).toEqual({ id: payment._id, status: 'SUCCEEDED', failureReason: null });
    expect((await loadPayment(stack, payment._id)).outboxDone).toEqual([`${payment._id}-succeeded`]);

    const failing = await seedPayment(stack, { customerId: owner });
    const failed = await stack.gql(SIMULATE, { paymentId: failing._id, outcome: 'FAILED' }, { token: adminToken });
    expect(failed.data.simulatePaymentWebhook).toEqual({ id: failing._id, status: 'FAILED', failureReason: 'generic_decline' });
  });

  it('refuses simulated webhooks with FORBIDDEN unless PAYMENT_SIMULATION is on, whatever NODE_ENV says', async () => {
    const production = await startPaymentsService({ ...stack.config, nodeEnv: 'development', paymentSimulation: false, port: 0 });
    try {
      const payment = await seedPayment(stack, { customerId: owner });
      const variables = { paymentId: payment._id, outcome: 'SUCCEEDED' };
      const identity = signIdentity({ sub: owner, role: 'CUSTOMER', rid: 'no-simulation' }, stack.config.internalSecret, bindingFor('payments', { query: SIMULATE, variables }));
      const res = await postGraphQL<any>(`${production.url}/graphql`, SIMULATE, variables, { [IDENTITY_HEADER]: identity });
      expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await loadPayment(stack, payment._id)).status).toBe('PENDING');
    } finally {
      await production.stop();
    }
  });

  it('myPayments pages through the signed-in customer’s payments only, newest first', async () => {
    const customer = newId('customer');
    const token = await stack.tokenFor(customer);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await seedPayment(stack, { customerId: customer }))._id);
    await seedPayment(stack, { customerId: newId('customer') });

    const first = await stack.gql(MY_PAYMENTS, { first: 2 }, { token });
    expect(first.data.myPayments).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    expect(nodes(first.data.myPayments)).toEqual([{ id: ids[2] }, { id: ids[1] }]);
    const second = await stack.gql(MY_PAYMENTS, { first: 2, after: first.data.myPayments.pageInfo.endCursor }, { token });
    expect(second.data.myPayments).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false, hasPreviousPage: true } });
    expect(nodes(second.data.myPayments)).toEqual([{ id: ids[0] }]);
  });

  it('admins list payments by status, customer and date with a total count; customers cannot', async () => {
    const customer = newId('customer');
    await seedPayment(stack, { customerId: customer, status: 'SUCCEEDED' });
    await seedPayment(stack, { customerId: customer, status: 'SUCCEEDED' });
    await seedPayment(stack, { customerId: customer, status: 'FAILED' });

    const succeeded = await stack.gql(ADMIN_PAYMENTS, { filter: { customerId: customer, status: 'SUCCEEDED' }, first: 1 }, { token: adminToken });
    expect(succeeded.errors).toBeUndefined();
    expect(succeeded.data.payments).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    expect(nodes(succeeded.data.payments)).toEqual([{ id: expect.any(String), status: 'SUCCEEDED' }]);

    const future = await stack.gql(ADMIN_PAYMENTS, { filter: { customerId: customer, from: new Date(Date.now() + 3_600_000).toISOString() } }, { token: adminToken });
    expect(future.data.payments.totalCount).toBe(0);
    const badDate = await stack.gql(ADMIN_PAYMENTS, { filter: { from: 'yesterday' } }, { token: adminToken });
    expect(badDate.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.from' });

    const asCustomer = await stack.gql(ADMIN_PAYMENTS, {}, { token: ownerToken });
    expect(asCustomer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
