import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startGateway } from '../gateway/src/server';
import { launchProcess } from '../scripts/backing/launch';
import { freePort, type Spawned } from '../scripts/backing/processes';
import { GATEWAY_PROCESS } from '../scripts/stack-processes';
import { SEED_CUSTOMERS, seedCustomers } from '../subgraphs/customers/seed';
import { gatewayConfigFor, startStack, type TestStack } from './support/stack';

const SCREENSHOT = path.resolve(__dirname, '../artifacts/explorer.png');
const isLocal = (url: string) => /^(https?|wss?):\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//.test(url) || /^(data|blob|about):/.test(url);

describe('the GraphQL explorer works with no internet: served by the gateway, signed in, examples ready', () => {
  let stack: TestStack;
  /** The gateway as `npm start` runs it (its own process, development mode) over this file's subgraphs. */
  let gateway: { url: string; proc: Spawned };
  let browser: Browser;
  let page: Page;
  const refused: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    const customers = await mongoose.createConnection(process.env.MONGODB_URI!, { dbName: `${stack.config.dbPrefix}customers` }).asPromise();
    await seedCustomers(customers);
    await customers.close();
    const port = await freePort();
    const { config } = stack;
    const env = {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      INTERNAL_SECRET: config.internalSecret,
      JWT_SECRET: config.jwtSecret,
      ...Object.fromEntries(Object.entries(config.peers).map(([name, url]) => [`${name.toUpperCase()}_URL`, url])),
    };
    gateway = { url: `http://127.0.0.1:${port}`, proc: await launchProcess(GATEWAY_PROCESS, env, { port }) };
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // The network is this machine only: anything else is refused and remembered.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      refused.push(url);
      return route.abort('internetdisconnected');
    });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.proc.stop();
    await stack?.stop();
  });

  it('links the explorer and Apollo Sandbox from the landing page', async () => {
    await page.goto(`${gateway.url}/`);
    expect(await page.getAttribute('#explorer', 'href')).toBe('/graphql/explorer');
    expect(await page.getAttribute('#sandbox', 'href')).toBe('/graphql');
    expect(await page.getAttribute('#dashboard', 'href')).toBe('/admin/');
  });

  it('serves a page that names no other origin', async () => {
    const html = await (await fetch(`${gateway.url}/graphql/explorer`)).text();
    expect(html).toContain('/graphql/explorer/static/ruru.js');
    expect(html.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//gi) ?? []).toEqual([]);
  });

  it('loads offline, signs in as the demo customer, and runs a query from the examples', async () => {
    await page.goto(`${gateway.url}/graphql/explorer`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
    await page.waitForFunction((email) => document.title.includes(email), SEED_CUSTOMERS[0].email);
    // The examples hold several operations: the run button asks which one. GraphiQL parses the
    // editor's operations a moment after it renders, and until then the button does nothing: press again.
    const me = page.getByRole('menuitem', { name: 'Me', exact: true });
    for (let press = 0; press < 15 && !(await me.isVisible()); press++) {
      await page.click('.graphiql-execute-button');
      await me.waitFor({ timeout: 2_000 }).catch(() => undefined);
    }
    await me.click();
    await page.waitForFunction((email) => document.querySelector('.graphiql-response')?.textContent?.includes(email), SEED_CUSTOMERS[0].email, { timeout: 30_000 });
    const response = await page.textContent('.graphiql-response');
    expect(response).toMatch(/"role":\s*"CUSTOMER"/);
    expect(refused).toEqual([]);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  }, 60_000);

  it('is not there in production (like Sandbox)', async () => {
    const production = await startGateway(gatewayConfigFor(stack.config, { nodeEnv: 'production' }));
    try {
      for (const url of ['/graphql/explorer', '/graphql/explorer/static/ruru.js', '/']) {
        const res = await fetch(`${production.url}${url}`);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(await res.text()).not.toMatch(/ruru|explorer/i);
      }
    } finally {
      await production.stop();
    }
  });
});
