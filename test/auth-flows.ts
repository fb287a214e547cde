import type { TestStack } from './support/stack';

/** Shared steps for the auth and customers user stories (not a test file itself). */

export const AUTH_FIELDS = 'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt customer { id email name role }';

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { ${AUTH_FIELDS} } }`;
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

export async function registerCustomer(stack: TestStack, opts: { email?: string; name?: string; password?: string } = {}): Promise<Session & { password: string }> {
  const password = opts.password ?? GOOD_PASSWORD;
  const res = await stack.gql(REGISTER, { input: { email: opts.email ?? uniqueEmail(), password, name: opts.name ?? 'Test Shopper' } });
  if (res.errors) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { ...res.data.register, password };
}

export async function login(stack: TestStack, email: string, password: string) {
  return stack.gql(LOGIN, { email, password });
}

/** An admin created the supported way (never via a public mutation), then signed in through the gateway. */
export async function signInAdmin(stack: TestStack): Promise<Session> {
  const email = uniqueEmail('admin');
  await stack.customers.deps.service.ensureAdmin({ email, password: GOOD_PASSWORD, name: 'Admin' });
  const res = await login(stack, email, GOOD_PASSWORD);
  if (res.errors) throw new Error(`admin login failed: ${JSON.stringify(res.errors)}`);
  return res.data.login;
}

export const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;
