import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { chromium, type Browser, type Page } from 'playwright-core';
import { newId } from '../subgraphs/lib/ids';
import { analyticsEventsQueue, openQueue, type LineSnapshot } from '../subgraphs/lib/queues';
import { addJob } from './support/queues';
import { hashPassword } from '../subgraphs/customers/password';
import { startAnalyticsWorker } from '../subgraphs/orders/analytics/worker-main';
import { addUtcMonths, startOfUtcMonth } from '../subgraphs/orders/analytics/periods';
import { startStack, type TestStack } from './support/stack';

const SCREENSHOT = path.resolve(__dirname, '../artifacts/dashboard.png');

/** Waits until the analytics queue has finished `n` jobs. */
async function drained(queue: Queue, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const c = await queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed');
    if (c.failed) throw new Error('analytics jobs failed');
    if (c.completed >= n && !c.wait && !c.active && !c.delayed) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('analytics queue did not drain');
}

describe('the admin dashboard shows the sales the analytics worker counted', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startAnalyticsWorker>>;
  let queue: Queue;
  let browser: Browser;
  let page: Page;
  const admin = { email: 'grace@example.com', password: 'correct horse battery staple 42' };
  const alice = newId('customer');
  const bob = newId('customer');
  const [widget, gadget] = [newId('product'), newId('product')];

  beforeAll(async () => {
    stack = await startStack();
    worker = await startAnalyticsWorker({ ...stack.config, port: 0 });
    queue = openQueue(analyticsEventsQueue, { connection: { url: stack.config.redisUrl }, prefix: stack.config.queuePrefix }).queue;
    await stack.customers.deps.service.models.customers.create([
      { _id: newId('customer'), email: admin.email, name: 'Grace Admin', role: 'ADMIN', passwordHash: await hashPassword(admin.password) },
      { _id: alice, email: 'alice@example.com', name: 'Alice Buyer' },
      { _id: bob, email: 'bob@example.com', name: 'Bob Buyer' },
    ]);
    await stack.products.deps.products.create([
      { _id: widget, sku: `W-${widget.slice(-6)}`, name: 'Blue Widget', priceCents: 1000, currency: 'USD', onHand: 100 },
      { _id: gadget, sku: `G-${gadget.slice(-6)}`, name: 'Red Gadget', priceCents: 500, currency: 'USD', onHand: 100 },
    ]);

    // This month: a paid order (2 widgets + 1 gadget) and a failed one; 2 months ago: 8 gadgets; 8 months ago: 10 widgets.
    const thisMonth = startOfUtcMonth(new Date());
    const line = (productId: string, unitPriceCents: number, quantity: number): LineSnapshot => ({ productId, name: 'x', unitPriceCents, quantity });
    // And in CHF, this month: one order of 30,000,000.00 (3,000,000,000 minor units: beyond GraphQL Int).
    const facts: Array<[string, 'order.paid' | 'order.failed', Date, LineSnapshot[], string?]> = [
      [alice, 'order.paid', thisMonth, [line(widget, 1000, 2), line(gadget, 500, 1)]],
      [bob, 'order.failed', thisMonth, [line(widget, 1000, 1)]],
      [bob, 'order.paid', addUtcMonths(thisMonth, -2), [line(gadget, 500, 8)]],
      [alice, 'order.paid', addUtcMonths(thisMonth, -8), [line(widget, 1000, 10)]],
      [alice, 'order.paid', thisMonth, [line(widget, 1_500_000_000, 2)], 'CHF'],
    ];
    for (const [customerId, kind, at, lines, currency = 'USD'] of facts) {
      const orderId = newId('order');
      const event = {
        eventId: `${orderId}-${kind.slice(6)}`, kind, orderId, paymentId: newId('payment'), customerId, lines, amountCents: lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0),
        refundedCents: 0, fromStatus: null, toStatus: kind === 'order.paid' ? 'PAID' : 'FAILED', placedAt: at.toISOString(), currency, occurredAt: at.toISOString(), requestId: 'dashboard-test',
      };
      await addJob(queue, analyticsEventsQueue, event);
    }
    await drained(queue, facts.length);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await queue?.close();
    await worker?.stop();
    await stack?.stop();
  });

  const kpis = () =>
    page.evaluate(() => Object.fromEntries(['orders', 'revenue', 'success', 'aov'].map((k) => [k, Number(document.getElementById(`kpi-${k}`)!.dataset.value)])));
  const chartData = (id: string) =>
    page.evaluate((canvasId) => {
      const chart = (window as unknown as { Chart: { getChart(id: string): { data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> } } } }).Chart.getChart(canvasId);
      return { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, sum: d.data.reduce((a, b) => a + b, 0), points: d.data.filter((v) => v !== 0).length })) };
    }, id);
  const tableRows = (id: string) => page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)));
  const ready = () => page.waitForFunction(() => document.body.dataset.state === 'ready');

  it('serves the page and chart.js from the gateway, with no third-party origin', async () => {
    const res = await fetch(`${stack.gateway.url}/admin/vendor/chart.umd.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Chart');
    const html = await fetch(`${stack.gateway.url}/admin/`);
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('refuses a wrong password on the sign-in form', async () => {
    await page.goto(`${stack.gateway.url}/admin/`);
    await page.fill('#email', admin.email);
    await page.fill('#password', 'wrong password entirely');
    await page.click('#sign-in-button');
    await page.waitForFunction(() => document.getElementById('sign-in-error')!.textContent !== '');
    expect(await page.isVisible('#dashboard')).toBe(false);
  });

  it('signs an admin in and shows the last year: charts, figures, top products and customers', async () => {
    await page.fill('#password', admin.password);
    await page.click('#sign-in-button');
    await ready();
    expect(await page.textContent('#who')).toContain('Grace Admin');
    expect(await kpis()).toEqual({ orders: 4, revenue: 16500, success: 0.75, aov: 5500 });
    const revenue = await chartData('revenue-chart');
    expect(revenue.labels).toHaveLength(12);
    expect(revenue.datasets[0]).toMatchObject({ label: 'Revenue (USD)', sum: 165, points: 3 });
    const orders = await chartData('orders-chart');
    expect(orders.datasets.map((d) => [d.label, d.sum])).toEqual([['Orders', 4], ['Successful', 3], ['Failed', 1]]);
    expect(await tableRows('top-products')).toEqual([
      ['Blue Widget', '12', expect.stringContaining('120.00')],
      ['Red Gadget', '9', expect.stringContaining('45.00')],
    ]);
    expect(await tableRows('top-customers')).toEqual([
      ['Alice Buyer', '2', expect.stringContaining('125.00')],
      ['Bob Buyer', '1', expect.stringContaining('40.00')],
    ]);
  });

  it('switches to the last 6 months and to days, and the figures follow', async () => {
    await page.selectOption('#period', 'LAST_6_MONTHS');
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.body.dataset.period === 'LAST_6_MONTHS');
    expect(await kpis()).toEqual({ orders: 3, revenue: 6500, success: 2 / 3, aov: 3250 });
    expect((await chartData('revenue-chart')).labels).toHaveLength(6);
    expect((await tableRows('top-products')).map((r) => r.slice(0, 2))).toEqual([['Red Gadget', '9'], ['Blue Widget', '2']]);
    await page.selectOption('#granularity', 'DAY');
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.adminDashboard.charts['orders-chart'].data.labels.length > 100);
    const days = await chartData('orders-chart');
    expect(days.datasets.map((d) => [d.label, d.sum, d.points])).toEqual([['Orders', 3, 2], ['Successful', 2, 2], ['Failed', 1, 1]]);
    await page.selectOption('#granularity', 'MONTH');
    await ready();
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('shows money totals beyond 2^31 - 1 minor units exactly (the graph sends them as strings of digits)', async () => {
    await page.fill('#currency', 'CHF');
    await page.dispatchEvent('#currency', 'change');
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.getElementById('kpi-revenue')!.dataset.value === '3000000000');
    expect(await page.textContent('#kpi-revenue')).toContain('30,000,000.00');
    expect(await page.textContent('#kpi-aov')).toContain('30,000,000.00');
    expect(await tableRows('top-products')).toEqual([['Blue Widget', '2', expect.stringContaining('30,000,000.00')]]);
    expect(await tableRows('top-customers')).toEqual([['Alice Buyer', '1', expect.stringContaining('30,000,000.00')]]);
    expect((await chartData('revenue-chart')).datasets[0]).toMatchObject({ label: 'Revenue (CHF)', sum: 30_000_000, points: 1 });
  });
});

declare global {
  interface Window {
    adminDashboard: { charts: Record<string, { data: { labels: string[] } }> };
  }
}
