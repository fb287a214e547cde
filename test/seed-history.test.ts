import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose, { type Connection } from 'mongoose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SEED_ADMIN, SEED_CUSTOMERS, seedCustomers } from '../subgraphs/customers/seed';
import { seedCatalog } from '../subgraphs/products/seed';
import { analyticsModels } from '../subgraphs/orders/analytics/model';
import { reconciliationReport } from '../subgraphs/orders/analytics/reconcile';
import { orderModel, type OrderDoc } from '../subgraphs/orders/model';
import { paymentModel } from '../subgraphs/payments/model';
import { seedHistory, type HistoryReport } from '../scripts/history';
import { paymentsFromDatabase } from '../scripts/reconcile';
import { startStack, type TestStack } from './support/stack';

const SCREENSHOT = path.resolve(__dirname, '../artifacts/seeded-dashboard.png');
const END = new Date();

describe('npm run seed: a year of shop history, made by the same domain functions as the running system', () => {
  let stack: TestStack;
  let db: Record<'customers' | 'products' | 'orders' | 'payments', Connection>;
  let report: HistoryReport;
  let browser: Browser;
  let page: Page;
  const history = { seed: 7, days: 365, orders: 500, shoppers: 40, concurrency: 8, end: END, log: () => undefined };

  beforeAll(async () => {
    stack = await startStack();
    const connect = (name: string) => mongoose.createConnection(process.env.MONGODB_URI!, { dbName: `${stack.config.dbPrefix}${name}` }).asPromise();
    db = { customers: await connect('customers'), products: await connect('products'), orders: await connect('orders'), payments: await connect('payments') };
    await seedCustomers(db.customers);
    await seedCatalog(db.products, { products: 60 });
    report = await seedHistory(db, history);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    for (const c of Object.values(db ?? {})) {
      await c.dropDatabase();
      await c.close();
    }
  });

  it('replays every planned checkout, with every kind of ending', async () => {
    expect(report.stories).toBeGreaterThan(400);
    expect(report.replayed).toBe(report.stories);
    expect(Object.keys(report.byOutcome)).toEqual(expect.arrayContaining(['delivered', 'canceled', 'refunded', 'payment failed', 'payment canceled', 'oversold']));
    const statuses = await orderModel(db.orders).distinct('status');
    expect(statuses).toEqual(expect.arrayContaining(['DELIVERED', 'SHIPPED', 'CANCELED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'FAILED', 'OVERSOLD_REFUNDED']));
  });

  it('reconciles: every payment matches its order, and the rollups equal the orders recomputed (zero drift)', async () => {
    const reconciliation = await reconciliationReport({
      orders: orderModel(db.orders),
      analytics: analyticsModels(db.orders),
      payments: paymentsFromDatabase(db.payments),
      redis: { url: stack.config.redisUrl, prefix: stack.config.queuePrefix },
    });
    expect(reconciliation.drift).toEqual([]);
    expect(reconciliation.unmatchedCount).toBe(0);
    const counts = Object.fromEntries(reconciliation.classes.map((c) => [c.kind, c.count]));
    expect(counts.MATCHED).toBe(report.stories);
    expect(counts.DUPLICATE_EVENT_SUPPRESSED).toBe(0);
  });

  it('dates orders and payments in the past they describe, not when the seed ran', async () => {
    const orders = await orderModel(db.orders).find({ status: 'DELIVERED' }).limit(50).lean<OrderDoc[]>();
    for (const order of orders) {
      expect(order.createdAt.getTime()).toBe(order.placedAt!.getTime());
      const times = order.statusHistory.map((h) => new Date(h.at).getTime());
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(times[times.length - 1]).toBeLessThan(END.getTime());
      const payment = await paymentModel(db.payments).findById(order.paymentId).lean();
      expect(payment!.createdAt.getTime()).toBeLessThan(order.placedAt!.getTime());
    }
    const oldest = await orderModel(db.orders).findOne().sort({ createdAt: 1 }).lean<OrderDoc>();
    expect(END.getTime() - oldest!.createdAt.getTime()).toBeGreaterThan(300 * 86_400_000);
  });

  it('adds nothing when the same seed runs again', async () => {
    const before = await orderModel(db.orders).countDocuments();
    const again = await seedHistory(db, history);
    expect(again).toMatchObject({ replayed: 0, existing: report.stories });
    expect(await orderModel(db.orders).countDocuments()).toBe(before);
  }, 120_000);

  it('shows a year of trends on the admin dashboard: every month sells, December beats February, the demo customers among the best', async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await page.goto(`${stack.gateway.url}/admin/`);
    await page.fill('#email', SEED_ADMIN.email);
    await page.fill('#password', SEED_ADMIN.password);
    await page.click('#sign-in-button');
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    const revenue = await page.evaluate(() => {
      const chart = (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[]; datasets: Array<{ data: number[] }> } } } }).Chart.getChart('revenue-chart');
      return { labels: chart.data.labels, values: chart.data.datasets[0].data };
    });
    expect(revenue.labels).toHaveLength(12);
    expect(revenue.values.filter((v) => v > 0).length).toBeGreaterThanOrEqual(11);
    const month = (m: number) => revenue.values[revenue.labels.findIndex((l) => new RegExp(`-${String(m).padStart(2, '0')}$|^${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]}`).test(l))];
    if (revenue.labels.some((l) => /12$|Dec/.test(l)) && revenue.labels.some((l) => /02$|Feb/.test(l))) expect(month(12)).toBeGreaterThan(month(2));
    // Each table row: name, count (units or orders), money. Names come through federation (products, customers).
    const rows = (table: string) => page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '')));
    const topProducts = await rows('top-products');
    expect(topProducts).toHaveLength(5);
    for (const [name, units, revenue] of topProducts) {
      expect(name).not.toMatch(/^$|^prod_/); // a real name, not the bare id shown when the catalog lookup fails
      expect(Number(units)).toBeGreaterThan(0);
      expect(revenue).toMatch(/[1-9]/);
    }
    const topCustomers = await rows('top-customers');
    expect(topCustomers.length).toBeGreaterThanOrEqual(5);
    for (const [name, orders] of topCustomers) {
      expect(name).not.toBe('');
      expect(Number(orders)).toBeGreaterThan(0);
    }
    expect(topCustomers.map(([name]) => name)).toContain(SEED_CUSTOMERS[0].name);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 60_000);
});

describe('npm run seed refuses production', () => {
  it('exits 1 with NODE_ENV=production before touching any database (demo accounts have public passwords)', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/seed.ts'], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, NODE_ENV: 'production', MONGODB_URI: 'mongodb://127.0.0.1:1' },
    });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('refused with NODE_ENV=production') });
  });
});
