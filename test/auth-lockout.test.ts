import { LOGIN_LIMITS } from '../subgraphs/customers/login-limiter';
import { startStack, type TestStack } from './support/stack';
import { codeOf, login, registerCustomer, uniqueEmail } from './auth-flows';

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - started };
}

describe('guessing passwords for one email is slowed, then refused', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it(`after ${LOGIN_LIMITS.email.points} failures the email is locked, even with the right password`, async () => {
    const victim = await registerCustomer(stack);
    const attempts = [];
    for (let i = 0; i < LOGIN_LIMITS.email.points; i++) attempts.push(await timed(() => login(stack, victim.customer.email, `wrong guess number ${i}`)));
    expect(attempts.map((a) => codeOf(a.result))).toEqual(Array(LOGIN_LIMITS.email.points).fill('UNAUTHENTICATED'));
    // From the third attempt on, each answer is held back longer than the last.
    expect(attempts[2].ms).toBeGreaterThanOrEqual(LOGIN_LIMITS.baseDelayMs);
    expect(attempts[4].ms).toBeGreaterThanOrEqual(LOGIN_LIMITS.baseDelayMs * 4);

    const locked = await login(stack, victim.customer.email, victim.password);
    expect(codeOf(locked)).toBe('RATE_LIMITED');
    expect(locked.data?.login).toBeUndefined();
    const retryAfter = locked.errors![0].extensions!.retryAfterSeconds;
    expect(retryAfter).toBeGreaterThan(LOGIN_LIMITS.email.blockDuration - 60);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_LIMITS.email.blockDuration);

    // Another account from the same client is unaffected.
    const neighbour = await registerCustomer(stack);
    expect((await login(stack, neighbour.customer.email, neighbour.password)).errors).toBeUndefined();
  });

  it('a successful sign-in clears the failures counted for that email', async () => {
    const shopper = await registerCustomer(stack);
    for (let i = 0; i < LOGIN_LIMITS.email.points - 1; i++) await login(stack, shopper.customer.email, 'typo in my password');
    expect((await login(stack, shopper.customer.email, shopper.password)).errors).toBeUndefined();
    const afterReset = await timed(() => login(stack, shopper.customer.email, 'another typo here'));
    expect(codeOf(afterReset.result)).toBe('UNAUTHENTICATED');
    expect(afterReset.ms).toBeLessThan(LOGIN_LIMITS.baseDelayMs);
  });

  it('the counters live in Redis under this stack\'s prefix', async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(stack.config.redisUrl);
    try {
      const keys = await redis.keys(`${stack.config.queuePrefix}:auth:login:*`);
      expect(keys.some((k) => k.startsWith(`${stack.config.queuePrefix}:auth:login:email:`))).toBe(true);
      expect(keys.some((k) => k.startsWith(`${stack.config.queuePrefix}:auth:login:ip:`))).toBe(true);
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

  it(`after ${LOGIN_LIMITS.ip.points} attempts from one IP, every sign-in from it is RATE_LIMITED`, async () => {
    const real = await registerCustomer(stack);
    for (let i = 0; i < LOGIN_LIMITS.ip.points; i++) {
      const res = await login(stack, uniqueEmail('spray'), 'password spraying attempt');
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
    const refused = await login(stack, real.customer.email, real.password);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });
});
