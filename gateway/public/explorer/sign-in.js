// The explorer's start-up (development only): sign in as a seeded demo account so that the
// Authorization header is set before the first query. ?as=customer (default), ?as=admin or
// ?as=anonymous. Without seeded accounts (npm run seed), it starts anonymous and says why.
const LOGIN = 'mutation ExplorerSignIn($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }';

export async function initialHeaders(config) {
  const who = new URLSearchParams(location.search).get('as') ?? 'customer';
  const account = config.demoAccounts?.[who];
  if (!account) return '{}';
  try {
    const res = await fetch(config.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: LOGIN, variables: account, operationName: 'ExplorerSignIn' }),
    });
    const body = await res.json();
    const token = body.data?.login?.accessToken;
    if (!token) throw new Error(body.errors?.[0]?.message ?? `HTTP ${res.status}`);
    document.title = `GraphQL explorer · ${account.email}`;
    return JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2);
  } catch (err) {
    console.warn(`explorer: could not sign in as ${account.email} (${err.message}); run npm run seed, or run the Login operation and set the header yourself`);
    return '{}';
  }
}
