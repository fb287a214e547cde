import { randomInt } from 'node:crypto';
import { newId } from '../subgraphs/lib/ids';
import type { OrderStatus } from '../subgraphs/orders/model';
import { seedPayment } from './support/payments';
import { startStack, type TestStack } from './support/stack';

/**
 * Every list in the graph is a Relay connection read by keyset (subgraphs/lib/pagination.ts). A
 * client paging through a list while others add to it sees every item that was there when it
 * started exactly once, in the list's order, forwards or backwards.
 */
const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const PAGE_VARS = '$first: Int, $after: String, $last: Int, $before: String';
const PAGE_ARGS = 'first: $first, after: $after, last: $last, before: $before';
const ORDER_FIELDS = `${PAGE_INFO} edges { cursor node { id status amountCents createdAt } }`;

const MY_ORDERS = `query(${PAGE_VARS}) { myOrders(${PAGE_ARGS}) { ${ORDER_FIELDS} } }`;
const CUSTOMER_ORDERS = `query(${PAGE_VARS}) { me { orders(${PAGE_ARGS}) { ${ORDER_FIELDS} } } }`;
const ADMIN_ORDERS = `query($filter: OrderFilter, $sortBy: OrderSortBy, $direction: OrderSortDirection, ${PAGE_VARS}) {
  orders(filter: $filter, sortBy: $sortBy, direction: $direction, ${PAGE_ARGS}) { ${ORDER_FIELDS} }
}`;
const MY_PAYMENTS = `query(${PAGE_VARS}) { myPayments(${PAGE_ARGS}) { ${PAGE_INFO} edges { node { id } } } }`;
const ADMIN_PAYMENTS = `query($filter: PaymentFilter, ${PAGE_VARS}) { payments(filter: $filter, ${PAGE_ARGS}) { ${PAGE_INFO} edges { node { id } } } }`;
const CUSTOMERS = `query($search: String, ${PAGE_VARS}) { customers(search: $search, ${PAGE_ARGS}) { ${PAGE_INFO} edges { node { id } } } }`;
const PRODUCTS = `query($filter: ProductFilter, $sort: ProductSort, ${PAGE_VARS}) {
  products(filter: $filter, sort: $sort, ${PAGE_ARGS}) { ${PAGE_INFO} edges { node { id name priceCents createdAt } } }
}`;

interface Connection<T> {
  edges: Array<{ node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
type Node = { id: string } & Record<string, unknown>;

const INITIAL = 12;
const PAGE_SIZE = 5;

describe('every list pages through its items exactly once while items are being added', () => {
  let stack: TestStack;
  const dana = newId('customer');
  let danaToken: string;
  let adminToken: string;
  const initialOrders: string[] = [];
  const initialPayments: string[] = [];
  const initialCustomers: string[] = [];
  const initialProducts: string[] = [];

  const randomDayOf2024 = () => new Date(Date.UTC(2024, 0, 1) + randomInt(365 * 24) * 3_600_000);
  const statuses: OrderStatus[] = ['PAID', 'PROCESSING', 'SHIPPED'];

  /** An order as the worker would have created it, at a random time and amount: it lands anywhere in any sort. */
  async function addOrder(): Promise<string> {
    const createdAt = randomDayOf2024();
    const _id = newId('order');
    const amountCents = 100 * randomInt(1, 40);
    await stack.orders.deps.orders.collection.insertOne({
      _id, paymentId: newId('payment'), customerId: dana, status: statuses[randomInt(statuses.length)],
      lines: [{ productId: newId('product'), name: 'Thing', unitPriceCents: amountCents, quantity: 1 }], amountCents, refundedCents: 0, currency: 'USD',
      reservationId: newId('reservation'), statusHistory: [], outbox: [], outboxDone: [], outboxPending: 0, createdAt, updatedAt: createdAt,
    } as never);
    return _id;
  }

  /** Ids are the whole position of payments and customers: an id just after an existing one lands inside the list. */
  let inserted = 0;
  const idInside = (ids: string[]) => `${ids[randomInt(ids.length)]}${inserted++}`;
  const addPayment = async () => (await seedPayment(stack, { _id: idInside(initialPayments), customerId: dana }))._id;
  async function addCustomer(): Promise<string> {
    const _id = initialCustomers.length < INITIAL ? newId('customer') : idInside(initialCustomers);
    await stack.customers.deps.service.models.customers.create({ _id, email: `pagetest-${_id}@example.com`, name: `Pagetest ${_id.slice(-4)}` });
    return _id;
  }
  async function addProduct(): Promise<string> {
    const sku = `PT-${newId('product').slice(-10)}`;
    const input = { sku, name: `Pagetest ${String.fromCharCode(97 + randomInt(26))}${randomInt(1000)}`, description: '', priceCents: 100 * randomInt(1, 30), currency: 'USD', categoryId: null, images: [], initialStock: 1 };
    return (await stack.products.deps.catalog.create(input, 'test'))._id;
  }

  beforeAll(async () => {
    stack = await startStack();
    [danaToken, adminToken] = await Promise.all([stack.tokenFor(dana), stack.tokenFor(newId('customer'), 'ADMIN')]);
    await stack.customers.deps.service.models.customers.create({ _id: dana, email: `dana-${dana.slice(-6)}@example.com`, name: 'Dana' });
    for (let i = 0; i < INITIAL; i++) {
      initialOrders.push(await addOrder());
      initialPayments.push((await seedPayment(stack, { customerId: dana }))._id);
      initialCustomers.push(await addCustomer());
      initialProducts.push(await addProduct());
    }
  });
  afterAll(() => stack?.stop());

  /**
   * Reads a list page by page (forwards with first/after, or backwards with last/before), adding
   * one item to it after every page. Returns the nodes in the list's order.
   */
  async function pageThrough(query: string, variables: Record<string, unknown>, token: string | undefined, pick: (data: any) => Connection<Node>, addOne: () => Promise<unknown>, backwards = false): Promise<Node[]> {
    const seen: Node[] = [];
    let cursor: string | null = null;
    for (let pages = 1; pages <= 20; pages++) {
      const page = backwards ? { last: PAGE_SIZE, before: cursor } : { first: PAGE_SIZE, after: cursor };
      const res = await stack.gql(query, { ...variables, ...page }, { token });
      expect(res.errors).toBeUndefined();
      const connection = pick(res.data);
      const nodes = connection.edges.map((e) => e.node);
      if (backwards) seen.unshift(...nodes);
      else seen.push(...nodes);
      await addOne();
      if (!(backwards ? connection.pageInfo.hasPreviousPage : connection.pageInfo.hasNextPage)) return seen;
      cursor = backwards ? connection.pageInfo.startCursor : connection.pageInfo.endCursor;
    }
    throw new Error('the list never ended');
  }

  function expectEachOnce(seen: Node[], initial: string[]) {
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(initial));
  }

  /** Keys of consecutive nodes never go backwards in the list's order (ties are broken by id). */
  function expectOrdered(seen: Node[], key: (n: Node) => Array<string | number>, direction: 1 | -1) {
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [[...key(seen[i - 1]), seen[i - 1].id], [...key(seen[i]), seen[i].id]];
      const cmp = a.map((v, j) => (v === b[j] ? 0 : v < b[j] ? -1 : 1)).find((c) => c !== 0) ?? 0;
      expect(cmp * direction).toBeLessThan(0);
    }
  }

  const newestFirst = (n: Node) => [String(n.createdAt)];

  it('myOrders, forwards and backwards', async () => {
    for (const backwards of [false, true]) {
      const seen = await pageThrough(MY_ORDERS, {}, danaToken, (d) => d.myOrders, addOrder, backwards);
      expectEachOnce(seen, initialOrders);
      expectOrdered(seen, newestFirst, -1);
    }
  });

  it('Customer.orders', async () => {
    const seen = await pageThrough(CUSTOMER_ORDERS, {}, danaToken, (d) => d.me.orders, addOrder);
    expectEachOnce(seen, initialOrders);
    expectOrdered(seen, newestFirst, -1);
  });

  it.each([
    ['CREATED_AT', newestFirst],
    ['AMOUNT', (n: Node) => [n.amountCents as number]],
    ['STATUS', (n: Node) => [n.status as string, String(n.createdAt)]],
  ] as const)('admin orders sorted by %s, in both directions', async (sortBy, key) => {
    for (const direction of ['ASC', 'DESC'] as const) {
      const seen = await pageThrough(ADMIN_ORDERS, { filter: { customerId: dana }, sortBy, direction }, adminToken, (d) => d.orders, addOrder);
      expectEachOnce(seen, initialOrders);
      expectOrdered(seen, key, direction === 'ASC' ? 1 : -1);
    }
  });

  it('myPayments and admin payments', async () => {
    const mine = await pageThrough(MY_PAYMENTS, {}, danaToken, (d) => d.myPayments, addPayment);
    expectEachOnce(mine, initialPayments);
    expectOrdered(mine, () => [], -1);
    const all = await pageThrough(ADMIN_PAYMENTS, { filter: { customerId: dana } }, adminToken, (d) => d.payments, addPayment, true);
    expectEachOnce(all, initialPayments);
    expectOrdered(all, () => [], -1);
  });

  it('admin customers', async () => {
    const seen = await pageThrough(CUSTOMERS, { search: 'pagetest' }, adminToken, (d) => d.customers, addCustomer);
    expectEachOnce(seen, initialCustomers);
    expectOrdered(seen, () => [], 1);
  });

  it.each([
    ['PRICE_ASC', (n: Node) => [n.priceCents as number], 1],
    ['PRICE_DESC', (n: Node) => [n.priceCents as number], -1],
    ['NAME_ASC', (n: Node) => [String(n.name).toLowerCase()], 1],
    ['NEWEST', newestFirst, -1],
  ] as const)('products sorted %s', async (sort, key, direction) => {
    const seen = await pageThrough(PRODUCTS, { filter: { search: 'pagetest' }, sort }, undefined, (d) => d.products, addProduct, sort === 'NEWEST');
    expectEachOnce(seen, initialProducts);
    expectOrdered(seen, key, direction);
  });
});
