import { AppError } from '../subgraphs/lib/errors';
import { LOGIN_LIMITS } from '../subgraphs/customers/login-limiter';
import { startStack, type TestStack } from './support/stack';
import { GOOD_PASSWORD, codeOf, login, registerCustomer, uniqueEmail, uniqueIp } from './auth-flows';

const { emailFromIp, ip: perIp, email: perEmail, baseDelayMs, maxDelayMs } = LOGIN_LIMITS;

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - started };
}

/** The hold-back for the n-th attempt counted by a budget that slows from `slowAfter` on. */
const delayFor = (attempt: number, slowAfter: number) => {
  const over = attempt - slowAfter;
  return over > 0 ? Math.min(baseDelayMs * 2 ** (over - 1), maxDelayMs) : 0;
};

describe('guessing one account from one place is slowed, then refused there (and only there)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it(`after ${emailFromIp.points} failures from one place, that place is refused for that email, even with the right password`, async () => {
    const victim = await registerCustomer(stack);
    const attacker = uniqueIp();
    const attempts = [];
    for (let i = 0; i < emailFromIp.points; i++) attempts.push(await timed(() => login(stack, victim.customer.email, `wrong guess number ${i}`, { ip: attacker })));
    expect(attempts.map((a) => codeOf(a.result))).toEqual(Array(emailFromIp.points).fill('UNAUTHENTICATED'));
    // From the third attempt on, each answer is held back longer than the last.
    expect(attempts[2].ms).toBeGreaterThanOrEqual(delayFor(3, emailFromIp.slowAfter));
    expect(attempts[4].ms).toBeGreaterThanOrEqual(delayFor(5, emailFromIp.slowAfter));

    const locked = await login(stack, victim.customer.email, victim.password, { ip: attacker });
    expect(codeOf(locked)).toBe('RATE_LIMITED');
    expect(locked.data?.login).toBeUndefined();
    const retryAfter = locked.errors![0].extensions!.retryAfterSeconds;
    expect(retryAfter).toBeGreaterThan(emailFromIp.blockDuration - 60);
    expect(retryAfter).toBeLessThanOrEqual(emailFromIp.blockDuration);

    // Another account from the same client is unaffected.
    const neighbour = await registerCustomer(stack);
    expect((await login(stack, neighbour.customer.email, neighbour.password, { ip: attacker })).errors).toBeUndefined();
  });

  it('an attacker who knows an admin\'s email cannot lock the admin out: the admin signs in from their own place', async () => {
    const email = uniqueEmail('admin');
    await stack.customers.deps.service.ensureAdmin({ email, password: GOOD_PASSWORD, name: 'Admin' });
    const attacker = uniqueIp();
    for (let i = 0; i < emailFromIp.points; i++) expect(codeOf(await login(stack, email, `not the admin password ${i}`, { ip: attacker }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(stack, email, 'still guessing here', { ip: attacker }))).toBe('RATE_LIMITED');

    const admin = await login(stack, email, GOOD_PASSWORD, { ip: uniqueIp() });
    expect(admin.errors).toBeUndefined();
    expect(admin.data.login.customer).toMatchObject({ email, role: 'ADMIN' });
    // Signing in elsewhere does not lift the attacker's refusal.
    expect(codeOf(await login(stack, email, 'one more guess please', { ip: attacker }))).toBe('RATE_LIMITED');
  });

  it('guesses spread over many places slow that email down but never refuse it', async () => {
    const owner = await registerCustomer(stack);
    const failures = perEmail.slowAfter + 2;
    const perPlace = emailFromIp.points - 1; // each place stays below its own refusal
    for (let done = 0; done < failures; ) {
      const place = uniqueIp();
      for (let i = 0; i < perPlace && done < failures; i++, done++) {
        expect(codeOf(await login(stack, owner.customer.email, `distributed guess ${done}`, { ip: place }))).toBe('UNAUTHENTICATED');
      }
    }
    const signIn = await timed(() => login(stack, owner.customer.email, owner.password, { ip: uniqueIp() }));
    expect(signIn.result.errors).toBeUndefined();
    expect(signIn.ms).toBeGreaterThanOrEqual(delayFor(failures + 1, perEmail.slowAfter));
  });

  it('a successful sign-in clears the failures counted for that email from that place', async () => {
    const shopper = await registerCustomer(stack);
    const home = uniqueIp();
    for (let i = 0; i < emailFromIp.points - 1; i++) await login(stack, shopper.customer.email, 'typo in my password', { ip: home });
    expect((await login(stack, shopper.customer.email, shopper.password, { ip: home })).errors).toBeUndefined();
    const afterReset = await timed(() => login(stack, shopper.customer.email, 'another typo here', { ip: home }));
    expect(codeOf(afterReset.result)).toBe('UNAUTHENTICATED');
    expect(afterReset.ms).toBeLessThan(baseDelayMs);
  });

  it("the counters live in Redis under this stack's prefix", async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(stack.config.redisUrl);
    try {
      const keys = await redis.keys(`${stack.config.queuePrefix}:auth:login:*`);
      for (const budget of ['email-ip', 'ip', 'email']) expect(keys.some((k) => k.startsWith(`${stack.config.queuePrefix}:auth:login:${budget}:`))).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});

describe('one client trying many accounts is refused', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  // Straight to the customers service: through the gateway its own per-minute budget for `login`
  // (also 20) would answer first, and this story is about the customers service's 15-minute budget.
  it(`after ${perIp.points} attempts from one IP, every sign-in from it is refused for 15 minutes; other places are not`, async () => {
    const { service } = stack.customers.deps;
    const real = await registerCustomer(stack);
    const sprayer = uniqueIp();
    const failure = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err as AppError);
    for (let i = 0; i < perIp.points; i++) expect((await failure(service.login(uniqueEmail('spray'), 'password spraying attempt', sprayer)))?.code).toBe('UNAUTHENTICATED');

    const refused = await failure(service.login(real.customer.email, real.password, sprayer));
    expect(refused?.code).toBe('RATE_LIMITED');
    expect(refused?.details.retryAfterSeconds).toBeGreaterThan(perIp.blockDuration - 60);
    await expect(service.login(real.customer.email, real.password, uniqueIp())).resolves.toMatchObject({ customer: { email: real.customer.email } });
  });
});
