import type { TestStack } from './support/stack';

/** Shared steps for the auth and customers user stories (not a test file itself). */

export const AUTH_FIELDS = 'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt customer { id email name role }';

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { accepted } }`;
export const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH_FIELDS} } }`;
export const REFRESH = `mutation Refresh($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ${AUTH_FIELDS} } }`;
export const LOGOUT = `mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;
export const ME = `query Me { me { id email name role addresses { id line1 isDefaultShipping } } }`;

export interface Session {
  accessToken: string;
  refreshToken: string;
  customer: { id: string; email: string; name: string; role: string };
}

let counter = 0;
/** A unique email per call, so stories never collide. */
export const uniqueEmail = (label = 'shopper') => `${label}.${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
export const GOOD_PASSWORD = 'correct horse battery staple';

let ipCounter = 1;
/** A client IP no other step of this process uses (10.0.0.0/8, private). */
export const uniqueIp = () => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
/** The gateway trusts X-Forwarded-For from loopback (TRUST_PROXY=loopback), so tests can sign in "from" any IP. */
export const fromIp = (ip?: string) => (ip ? { headers: { 'x-forwarded-for': ip } } : {});

export async function login(stack: TestStack, email: string, password: string, opts: { ip?: string } = {}) {
  return stack.gql(LOGIN, { email, password }, fromIp(opts.ip));
}

/**
 * A new customer signs up, then signs in (register never signs in), each from their own IP as
 * separate shoppers would: one story's sign-ins do not spend another's throttling budgets.
 */
export async function registerCustomer(stack: TestStack, opts: { email?: string; name?: string; password?: string } = {}): Promise<Session & { password: string }> {
  const password = opts.password ?? GOOD_PASSWORD;
  const email = opts.email ?? uniqueEmail();
  const ip = uniqueIp();
  const res = await stack.gql(REGISTER, { input: { email, password, name: opts.name ?? 'Test Shopper' } }, fromIp(ip));
  if (res.errors || res.data.register.accepted !== true) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  const signedIn = await login(stack, email, password, { ip });
  if (signedIn.errors) throw new Error(`sign-in after register failed: ${JSON.stringify(signedIn.errors)}`);
  return { ...signedIn.data.login, password };
}

/** An admin created the supported way (never via a public mutation), then signed in through the gateway. */
export async function signInAdmin(stack: TestStack): Promise<Session> {
  const email = uniqueEmail('admin');
  await stack.customers.deps.service.ensureAdmin({ email, password: GOOD_PASSWORD, name: 'Admin' });
  const res = await login(stack, email, GOOD_PASSWORD);
  if (res.errors) throw new Error(`admin login failed: ${JSON.stringify(res.errors)}`);
  return res.data.login;
}

/** What a client can see of an answer, minus the per-request id: to compare two answers for sameness. */
export const answerOf = (res: { status: number; data?: unknown; errors?: Array<{ extensions?: Record<string, any> }> }) => ({
  status: res.status,
  data: res.data,
  errors: res.errors?.map(({ extensions: { requestId: _requestId, ...extensions } = {}, ...error }) => ({ ...error, extensions })),
});

export const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;
