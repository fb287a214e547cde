import type { AppError } from '../subgraphs/lib/errors';
import { issueAccessToken } from '../subgraphs/lib/tokens';
import { startStack, type TestStack } from './support/stack';
import { GOOD_PASSWORD, LOGOUT, ME, REFRESH, REGISTER, answerOf, codeOf, login, registerCustomer, uniqueEmail, uniqueIp } from './auth-flows';

/** Median wall time of each of two operations, run alternately (so load on the machine hits both alike). */
async function medianTimes(first: () => Promise<unknown>, second: () => Promise<unknown>, rounds = 7) {
  const times = { first: [] as number[], second: [] as number[] };
  await first(); // warm-up, not measured
  await second();
  for (let i = 0; i < rounds; i++) {
    for (const [name, op] of [['first', first], ['second', second]] as const) {
      const started = process.hrtime.bigint();
      await op();
      times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { first: median(times.first), second: median(times.second) };
}

describe('signing up, signing in and staying signed in', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('a new customer registers, signs in and sees themself as "me"', async () => {
    const email = uniqueEmail('ada');
    const registered = await stack.gql(REGISTER, { input: { email: email.toUpperCase(), password: GOOD_PASSWORD, name: '  Ada Lovelace ' } });
    expect(registered.errors).toBeUndefined();
    expect(registered.data).toEqual({ register: { accepted: true } });

    const signedIn = await login(stack, email, GOOD_PASSWORD);
    expect(signedIn.errors).toBeUndefined();
    const { accessToken, accessTokenExpiresAt, refreshTokenExpiresAt, customer } = signedIn.data.login;
    expect(customer).toMatchObject({ email, name: 'Ada Lovelace', role: 'CUSTOMER' });
    const ttl = (iso: string) => (Date.parse(iso) - Date.now()) / 1000;
    expect(ttl(accessTokenExpiresAt)).toBeGreaterThan(14 * 60);
    expect(ttl(accessTokenExpiresAt)).toBeLessThanOrEqual(15 * 60);
    expect(ttl(refreshTokenExpiresAt)).toBeGreaterThan(29 * 24 * 3600);

    const me = await stack.gql(ME, {}, { token: accessToken });
    expect(me.errors).toBeUndefined();
    expect(me.data.me).toEqual({ id: customer.id, email, name: 'Ada Lovelace', role: 'CUSTOMER', addresses: [] });
  });

  it('stores only a salted scrypt hash of the password and only SHA-256 hashes of refresh tokens', async () => {
    const session = await registerCustomer(stack);
    const stored = await stack.customers.deps.service.models.customers.findById(session.customer.id).lean();
    expect(stored!.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$/);
    expect(JSON.stringify(stored)).not.toContain(session.password);
    const tokens = await stack.customers.deps.service.models.refreshTokens.find({ customerId: session.customer.id }).lean();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]._id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(tokens)).not.toContain(session.refreshToken);
  });

  it('registering an email that already has an account answers exactly as for a new email, and changes nothing', async () => {
    const owner = await registerCustomer(stack, { email: uniqueEmail('taken'), name: 'Owner' });
    const attempt = (email: string) => ({ email, password: 'a squatters passphrase', name: 'Squatter' });
    const fresh = await stack.gql(REGISTER, { input: attempt(uniqueEmail('fresh')) });
    const taken = await stack.gql(REGISTER, { input: attempt(owner.customer.email.toUpperCase()) });
    expect(fresh.errors).toBeUndefined();
    expect(answerOf(taken)).toEqual(answerOf(fresh));

    // No second account, and the owner's account, password and sessions are untouched.
    expect(await stack.customers.deps.service.models.customers.countDocuments({ email: owner.customer.email })).toBe(1);
    expect(codeOf(await login(stack, owner.customer.email, 'a squatters passphrase'))).toBe('UNAUTHENTICATED');
    const back = await login(stack, owner.customer.email, owner.password);
    expect(back.data.login.customer).toMatchObject({ id: owner.customer.id, name: 'Owner' });
    expect((await stack.gql(REFRESH, { refreshToken: owner.refreshToken })).errors).toBeUndefined();
  });

  it('registering an existing email takes as long as registering a new one (the password is hashed either way)', async () => {
    const { service } = stack.customers.deps;
    const owner = await registerCustomer(stack);
    const attempt = (email: string) => ({ email, password: 'another long passphrase', name: 'Timing' });
    const { first: newMs, second: takenMs } = await medianTimes(
      () => service.register(attempt(uniqueEmail('new'))),
      () => service.register(attempt(owner.customer.email)),
    );
    expect(takenMs).toBeGreaterThan(newMs * 0.5);
    expect(takenMs).toBeLessThan(newMs * 2);
  });

  it('a weak password or a bad email is BAD_USER_INPUT naming the field', async () => {
    const email = uniqueEmail('weak');
    const short = await stack.gql(REGISTER, { input: { email, password: 'short', name: 'Weak' } });
    expect(codeOf(short)).toBe('BAD_USER_INPUT');
    expect(short.errors![0].extensions!.field).toBe('input.password');
    const containsEmail = await stack.gql(REGISTER, { input: { email, password: `x${email}x`, name: 'Weak' } });
    expect(containsEmail.errors![0].extensions!.field).toBe('input.password');
    expect(containsEmail.errors![0].message).toMatch(/email/);
    const badEmail = await stack.gql(REGISTER, { input: { email: 'not-an-email', password: GOOD_PASSWORD, name: 'Weak' } });
    expect(badEmail.errors![0].extensions!.field).toBe('input.email');
  });

  it('a wrong password and an unknown email get the same UNAUTHENTICATED answer', async () => {
    const { customer } = await registerCustomer(stack);
    const wrong = await login(stack, customer.email, 'not the right password');
    const unknown = await login(stack, uniqueEmail('nobody'), 'not the right password');
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    expect(answerOf(unknown)).toEqual(answerOf(wrong));
  });

  it('an unknown email takes as long to refuse as a wrong password (a decoy hash is checked)', async () => {
    const { service } = stack.customers.deps;
    const { customer } = await registerCustomer(stack);
    const refusal = (email: string) => () => service.login(email, 'not the right password', uniqueIp()).then(
      () => 'signed in',
      (err: AppError) => `${err.code}: ${err.message}`,
    );
    const outcomes = new Set<string>();
    const { first: wrongMs, second: unknownMs } = await medianTimes(
      () => refusal(customer.email)().then((o) => outcomes.add(o)),
      () => refusal(uniqueEmail('nobody'))().then((o) => outcomes.add(o)),
    );
    expect([...outcomes]).toEqual(['UNAUTHENTICATED: Email or password is incorrect']);
    expect(unknownMs).toBeGreaterThan(wrongMs * 0.5);
    expect(unknownMs).toBeLessThan(wrongMs * 2);
  });

  it('an expired or tampered access token is refused with 401 UNAUTHENTICATED', async () => {
    const { customer, accessToken } = await registerCustomer(stack);
    const expired = await issueAccessToken({ sub: customer.id, role: 'CUSTOMER' }, stack.config.jwtSecret, -5);
    const expiredRes = await stack.gql(ME, {}, { token: expired });
    expect(expiredRes.status).toBe(401);
    expect(codeOf(expiredRes)).toBe('UNAUTHENTICATED');
    expect(expiredRes.errors![0].message).toMatch(/expired/i);

    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url');
    const tampered = await stack.gql(ME, {}, { token: `${header}.${promoted}.${signature}` });
    expect(tampered.status).toBe(401);
    expect(codeOf(tampered)).toBe('UNAUTHENTICATED');

    const otherKey = await issueAccessToken({ sub: customer.id, role: 'ADMIN' }, 'someone-elses-secret-000000000000000');
    expect(codeOf(await stack.gql(ME, {}, { token: otherKey }))).toBe('UNAUTHENTICATED');
  });

  it('a refresh token works once: it returns a new pair and the old one stops working', async () => {
    const session = await registerCustomer(stack);
    const first = await stack.gql(REFRESH, { refreshToken: session.refreshToken });
    expect(first.errors).toBeUndefined();
    const rotated = first.data.refreshSession;
    expect(rotated.refreshToken).not.toBe(session.refreshToken);
    expect((await stack.gql(ME, {}, { token: rotated.accessToken })).data.me.id).toBe(session.customer.id);

    const second = await stack.gql(REFRESH, { refreshToken: rotated.refreshToken });
    expect(second.errors).toBeUndefined();
  });

  it('reusing an already-rotated refresh token signs that whole session out', async () => {
    const session = await registerCustomer(stack);
    const other = await login(stack, session.customer.email, session.password);
    const rotated = (await stack.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession;

    const replay = await stack.gql(REFRESH, { refreshToken: session.refreshToken });
    expect(codeOf(replay)).toBe('UNAUTHENTICATED');
    // The legitimate holder's newer token died with the family...
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: rotated.refreshToken }))).toBe('UNAUTHENTICATED');
    // ...while a separate sign-in (another device) is untouched.
    expect((await stack.gql(REFRESH, { refreshToken: other.data.login.refreshToken })).errors).toBeUndefined();
  });

  it('logout revokes the refresh token; a made-up refresh token is refused', async () => {
    const session = await registerCustomer(stack);
    const out = await stack.gql(LOGOUT, { refreshToken: session.refreshToken });
    expect(out.data).toEqual({ logout: true });
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: session.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: 'made-up-token' }))).toBe('UNAUTHENTICATED');
  });

  it('changing the password signs out other sessions and the old password stops working', async () => {
    const session = await registerCustomer(stack);
    const elsewhere = (await login(stack, session.customer.email, session.password)).data.login;
    const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken refreshToken } }`;

    const wrongCurrent = await stack.gql(CHANGE, { c: 'not my password', n: 'a brand new passphrase' }, { token: session.accessToken });
    expect(codeOf(wrongCurrent)).toBe('BAD_USER_INPUT');
    expect(wrongCurrent.errors![0].extensions!.field).toBe('currentPassword');
    const weak = await stack.gql(CHANGE, { c: session.password, n: 'short' }, { token: session.accessToken });
    expect(weak.errors![0].extensions!.field).toBe('newPassword');

    const changed = await stack.gql(CHANGE, { c: session.password, n: 'a brand new passphrase' }, { token: session.accessToken });
    expect(changed.errors).toBeUndefined();
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: elsewhere.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await stack.gql(REFRESH, { refreshToken: session.refreshToken }))).toBe('UNAUTHENTICATED');
    expect((await stack.gql(REFRESH, { refreshToken: changed.data.changePassword.refreshToken })).errors).toBeUndefined();
    expect(codeOf(await login(stack, session.customer.email, session.password))).toBe('UNAUTHENTICATED');
    expect((await login(stack, session.customer.email, 'a brand new passphrase')).errors).toBeUndefined();
  });

  it('updateProfile changes the name; signed-out callers are UNAUTHENTICATED', async () => {
    const session = await registerCustomer(stack);
    const UPDATE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id name } }`;
    const res = await stack.gql(UPDATE, { input: { name: 'Renamed' } }, { token: session.accessToken });
    expect(res.data.updateProfile).toEqual({ id: session.customer.id, name: 'Renamed' });
    const empty = await stack.gql(UPDATE, { input: { name: '   ' } }, { token: session.accessToken });
    expect(empty.errors![0].extensions!.field).toBe('input.name');
    expect(codeOf(await stack.gql(UPDATE, { input: { name: 'Anon' } }))).toBe('UNAUTHENTICATED');
    expect((await stack.gql(ME)).data).toEqual({ me: null });
  });
});

