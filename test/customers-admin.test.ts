import { SEED_ADMIN, SEED_CUSTOMER_PASSWORD, seedCustomers } from '../subgraphs/customers/seed';
import { startStack, type TestStack } from './support/stack';
import { codeOf, login } from './auth-flows';

const SEARCH = `query($search: String, $first: Int, $after: String) {
  customers(search: $search, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id email name addresses { city } } } }
}`;

const nodes = (connection: { edges: Array<{ node: any }> }) => connection.edges.map((e) => e.node);

describe('admins find customers; the development seed provides some', () => {
  let stack: TestStack;
  let adminToken: string;
  beforeAll(async () => {
    stack = await startStack();
    const conn = stack.customers.deps.service.models.customers.db;
    const first = await seedCustomers(conn);
    expect(first).toMatchObject({ created: 6, existing: 0 });
    adminToken = (await login(stack, SEED_ADMIN.email, SEED_ADMIN.password)).data.login.accessToken;
  });
  afterAll(() => stack?.stop());

  it('seeding again changes nothing (upsert by email)', async () => {
    const again = await seedCustomers(stack.customers.deps.service.models.customers.db);
    expect(again).toMatchObject({ created: 0, existing: 6 });
    expect(await stack.customers.deps.service.models.customers.countDocuments()).toBe(6);
    const grace = await login(stack, 'grace@example.com', SEED_CUSTOMER_PASSWORD);
    expect(grace.errors).toBeUndefined();
  });

  it('searches email or name case-insensitively', async () => {
    const byName = await stack.gql(SEARCH, { search: 'GRACE' }, { token: adminToken });
    expect(byName.data.customers).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false } });
    expect(nodes(byName.data.customers)).toMatchObject([{ email: 'grace@example.com', name: 'Grace Hopper', addresses: [{ city: 'Arlington' }, { city: 'New Haven' }] }]);
    const byEmail = await stack.gql(SEARCH, { search: 'linus@' }, { token: adminToken });
    expect(nodes(byEmail.data.customers).map((n: { name: string }) => n.name)).toEqual(['Linus Torvalds']);
  });

  it('treats regex metacharacters in the search as plain text', async () => {
    for (const search of ['.*', '(', 'a|e', '[a-z]+', '\\']) {
      const res = await stack.gql(SEARCH, { search }, { token: adminToken });
      expect([search, res.errors, res.data.customers.totalCount]).toEqual([search, undefined, 0]);
    }
    const literalDot = await stack.gql(SEARCH, { search: 'example.com' }, { token: adminToken });
    expect(literalDot.data.customers.totalCount).toBe(6);
  });

  it('pages through every customer with a cursor, each exactly once, with the total on every page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: any = await stack.gql(SEARCH, { first: 4, after }, { token: adminToken });
      expect(res.data.customers.totalCount).toBe(6);
      seen.push(...nodes(res.data.customers).map((n: { id: string }) => n.id));
      if (!res.data.customers.pageInfo.hasNextPage) break;
      after = res.data.customers.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    const bad = await stack.gql(SEARCH, { after: 'not-a-cursor' }, { token: adminToken });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].extensions!.field).toBe('after');
    const tooMany = await stack.gql(SEARCH, { first: 1000 }, { token: adminToken });
    expect(tooMany.errors![0].extensions!.field).toBe('first');
  });
});
