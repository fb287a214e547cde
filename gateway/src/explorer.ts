import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express, RequestHandler } from 'express';
import { SEED_ADMIN, SEED_CUSTOMERS, SEED_CUSTOMER_PASSWORD } from '../../subgraphs/customers/seed';
import { express } from '../../subgraphs/lib/http';
import type { Logger } from '../../subgraphs/lib/logger';

/**
 * A GraphQL explorer that needs no internet, for development: Ruru (Graphile's GraphiQL
 * distribution, npm package `ruru`), whose prebuilt bundle (GraphiQL, React, Monaco) is served
 * from our own node_modules, unlike Apollo Sandbox, which loads from Apollo's CDN. It opens with
 * example operations and the Authorization header already set: the page signs in as a seeded demo
 * account (public development passwords, see `npm run seed`) before the explorer starts.
 * `?as=admin`, `?as=customer` (default) or `?as=anonymous` chooses who.
 *
 * Mounted only where Sandbox is (never in production unless GRAPHQL_SANDBOX): it advertises demo
 * passwords. `ruru` is a development dependency, loaded only here, so production images do without it.
 */
export const EXPLORER_PATH = '/graphql/explorer';
const STATIC_PATH = `${EXPLORER_PATH}/static/`;
const ASSETS_PATH = `${EXPLORER_PATH}/assets`;
export const EXPLORER_ASSETS_DIR = path.resolve(__dirname, '../public/explorer');

/** The operations the explorer opens with: the walkthrough of the README, runnable one by one. */
export const EXAMPLE_OPERATIONS = `# Signed in as the demo account named in the Headers tab (?as=admin | customer | anonymous).
# Pick an operation with the Run button; variables go in the Variables tab.

query Me {
  me { id email name role addresses { id line1 city } }
}

query BrowseProducts {
  products(filter: { inStockOnly: true }, first: 5) {
    edges { node { id name priceCents currency stock { available } } }
  }
}

query MyOrders {
  myOrders(first: 5) {
    edges { node { id status amountCents currency createdAt lines { name quantity } payment { status } } }
  }
}

mutation AddToCart($productId: ID!) {
  addToCart(productId: $productId, quantity: 1) { lines { quantity product { name priceCents } } }
}

mutation Checkout($addressId: ID!) {
  checkout(input: { shippingAddressId: $addressId }) { clientSecret payment { id status amountCents currency } }
}

mutation Login {
  login(email: "${SEED_CUSTOMERS[0].email}", password: "${SEED_CUSTOMER_PASSWORD}") { accessToken refreshToken customer { id email role } }
}
`;

/** Development accounts the page may sign in as (their passwords are printed by npm run seed and the README). */
const DEMO_ACCOUNTS = {
  customer: { email: SEED_CUSTOMERS[0].email, password: SEED_CUSTOMER_PASSWORD },
  admin: { email: SEED_ADMIN.email, password: SEED_ADMIN.password },
};

const headers: RequestHandler = (_req, res, next) => {
  // Everything from this origin: the browser itself refuses any third-party load (proof of "offline").
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** Ruru's page, with our start-up: sign in first, then render with the Authorization header set. */
function explorerPage(ruruHTML: typeof import('ruru/server').ruruHTML): string {
  return ruruHTML({
    endpoint: '/graphql',
    staticPath: STATIC_PATH,
    // Ruru's typings mark every GraphiQL prop as required; the rest keep GraphiQL's defaults.
    clientConfig: { initialQuery: EXAMPLE_OPERATIONS, initialHeaders: '{}', isHeadersEditorEnabled: true } as import('ruru/server').RuruClientConfig,
    htmlParts: {
      titleTag: '<title>GraphQL explorer · Federated commerce</title>',
      configScript: (original) => `${original}\n<script>RURU_CONFIG.demoAccounts = ${JSON.stringify(DEMO_ACCOUNTS)};</script>`,
      bodyInitScript: `<script type="module">
import { React, createRoot, Ruru } from "${STATIC_PATH}ruru.js";
import { initialHeaders } from "${ASSETS_PATH}/sign-in.js";
const headers = await initialHeaders(RURU_CONFIG);
createRoot(document.getElementById("ruru-root")).render(React.createElement(Ruru, { ...RURU_CONFIG, initialHeaders: headers }));
</script>`,
    },
  });
}

/** Mounts the explorer at /graphql/explorer (before /graphql, which would otherwise take the path). */
export async function mountExplorer(app: Express, logger: Logger): Promise<boolean> {
  let ruru: { server: typeof import('ruru/server'); static: typeof import('ruru/static') };
  try {
    ruru = { server: await import('ruru/server'), static: await import('ruru/static') };
  } catch (err) {
    logger.warn('GraphQL explorer not mounted: the ruru package is not installed (a development dependency)', { error: String(err) });
    return false;
  }
  const page = explorerPage(ruru.server.ruruHTML);
  app.get([EXPLORER_PATH, `${EXPLORER_PATH}/`], headers, (_req, res) => {
    res.type('html').send(page);
  });
  app.use(ASSETS_PATH, headers, express.static(EXPLORER_ASSETS_DIR, { index: false, redirect: false }));
  // Not mounted at STATIC_PATH: Ruru's handler expects the full URL path (express would strip the prefix).
  const serveRuru = ruru.static.serveStatic(STATIC_PATH) as RequestHandler;
  app.use((req, res, next) => (req.path.startsWith(STATIC_PATH) ? headers(req, res, () => serveRuru(req, res, next)) : next()));
  return true;
}

/** GET /: where to go, in development (production answers 404 here); without the explorer (no ruru installed), without its link. */
export function mountLandingPage(app: Express, opts: { explorer: boolean }): void {
  const page = readFileSync(path.join(EXPLORER_ASSETS_DIR, 'landing.html'), 'utf8');
  const shown = opts.explorer ? page : page.replace(/<li id="explorer-item">[\s\S]*?<\/li>\s*/, '');
  app.get('/', headers, (_req, res) => {
    res.type('html').send(shown);
  });
}
