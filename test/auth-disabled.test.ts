import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { disabledAccountKey } from '../subgraphs/lib/identity';
import { startCustomersService } from '../subgraphs/customers';
import { startStack, type TestStack } from './support/stack';
import { GOOD_PASSWORD, ME, REFRESH, codeOf, login, registerCustomer, signInAdmin, uniqueEmail, type Session } from './auth-flows';

const DISABLE = `mutation($id: ID!) { disableCustomer(id: $id) { id disabled } }`;
const ENABLE = `mutation($id: ID!) { enableCustomer(id: $id) { id disabled } }`;
const CUSTOMERS = `query { customers(first: 100) { totalCount edges { node { id role } } } }`;

describe('admins disable accounts, and a disabled account stops working at once', () => {
  let stack: TestStack;
  let admin: Session;
  let redis: Redis;
  beforeAll(async () => {
    stack = await startStack();
    admin = await signInAdmin(stack);
    redis = new Redis(stack.config.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it("a disabled customer's access token, refresh token and password all stop working; enabling lets them sign in again", async () => {
    const bob = await registerCustomer(stack);
    expect((await stack.gql(ME, {}, { token: bob.accessToken })).data.me.id).toBe(bob.customer.id);

    const disabled = await stack.gql(DISABLE, { id: bob.customer.id }, { token: admin.accessToken });
    expect(disabled.data.disableCustomer).toEqual({ id: bob.customer.id, disabled: true });
    expect(await redis.get(disabledAccountKey(stack.config.queuePrefix, bob.customer.id))).not.toBeNull();

    const withOldToken = await stack.gql(ME, {}, { token: bob.accessToken });
    expect(withOldToken.status).toBe(401);
    expect(codeOf(withOldToken)).toBe('UNAUTHENTICATED');
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: bob.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(stack, bob.customer.email, bob.password))).toBe('FORBIDDEN');

    const enabled = await stack.gql(ENABLE, { id: bob.customer.id }, { token: admin.accessToken });
    expect(enabled.data.enableCustomer.disabled).toBe(false);
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: bob.refreshToken }))).toBe('UNAUTHENTICATED');
    const again = await login(stack, bob.customer.email, bob.password);
    expect(again.errors).toBeUndefined();
    expect((await stack.gql(ME, {}, { token: again.data.login.accessToken })).data.me.id).toBe(bob.customer.id);
  });

  it('an admin cannot disable their own account', async () => {
    const res = await stack.gql(DISABLE, { id: admin.customer.id }, { token: admin.accessToken });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions!.field).toBe('id');
  });

  it('the gateway flags are rebuilt from the database when customers starts (Redis may have lost them)', async () => {
    const carol = await registerCustomer(stack);
    await stack.gql(DISABLE, { id: carol.customer.id }, { token: admin.accessToken });
    await redis.del(disabledAccountKey(stack.config.queuePrefix, carol.customer.id));
    expect((await stack.gql(ME, {}, { token: carol.accessToken })).data.me.id).toBe(carol.customer.id);
    await stack.customers.deps.service.syncDisabledFlags();
    expect(codeOf(await stack.gql(ME, {}, { token: carol.accessToken }))).toBe('UNAUTHENTICATED');
  });
});

describe('the first admin comes from the environment or the CLI, never from a public mutation', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('ADMIN_EMAIL/ADMIN_PASSWORD at start promote an existing account, reset its password and sign it out', async () => {
    const squatter = await registerCustomer(stack);
    const customers = await startCustomersService({ ...stack.config, port: 0 }, { admin: { email: squatter.customer.email.toUpperCase(), password: 'the operators own passphrase', name: 'Ops' } });
    await customers.stop();

    expect(codeOf(await stack.gql(REFRESH, { refreshToken: squatter.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(stack, squatter.customer.email, squatter.password))).toBe('UNAUTHENTICATED');
    const admin = await login(stack, squatter.customer.email, 'the operators own passphrase');
    expect(admin.data.login.customer.role).toBe('ADMIN');
    expect((await stack.gql(CUSTOMERS, {}, { token: admin.data.login.accessToken })).data.customers.totalCount).toBeGreaterThan(0);
  });

  it('npm run create-admin creates an admin who can then use admin queries', async () => {
    const email = uniqueEmail('ops');
    const env = { ...process.env, MONGODB_URI: stack.config.mongoUri, DB_PREFIX: stack.config.dbPrefix, REDIS_URL: stack.config.redisUrl, QUEUE_PREFIX: stack.config.queuePrefix, NODE_ENV: 'test' };
    const run = promisify(execFile);
    const { stdout } = await run('npx', ['tsx', 'scripts/create-admin.ts', '--email', email, '--name', 'Ops'], { env: { ...env, ADMIN_PASSWORD: GOOD_PASSWORD }, cwd: `${__dirname}/..` });
    expect(JSON.parse(stdout)).toMatchObject({ email, action: 'created' });
    const signedIn = await login(stack, email, GOOD_PASSWORD);
    expect(signedIn.data.login.customer.role).toBe('ADMIN');

    const weak = run('npx', ['tsx', 'scripts/create-admin.ts', '--email', uniqueEmail('ops'), '--name', 'Ops'], { env: { ...env, ADMIN_PASSWORD: 'short' }, cwd: `${__dirname}/..` });
    await expect(weak).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('BAD_USER_INPUT') });
  });

  it('registering never grants ADMIN, whatever the client sends', async () => {
    const res = await stack.gql(`mutation { register(input: { email: "${uniqueEmail('sneaky')}", password: "${GOOD_PASSWORD}", name: "Sneaky", role: ADMIN }) { accepted } }`);
    expect(codeOf(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
