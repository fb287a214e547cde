import { blackFriday } from './calendar';
import { planHistory, type HistoryPlanInput, type Story } from './plan';

const products = Array.from({ length: 50 }, (_, i) => ({
  productId: `prod_${i}`,
  name: `Product ${i}`,
  sku: `SKU-${i}`,
  unitPriceCents: 1000 + i * 100,
  currency: 'USD',
  category: ['camping', 'lighting', 'kitchen', 'shirts', 'shoes'][i % 5],
}));
const shoppers = Array.from({ length: 30 }, (_, i) => ({ customerId: `cus_${i}`, address: { line1: `${i} Main St`, city: 'Portland', postalCode: '97205', country: 'US' } }));
const input = (over: Partial<HistoryPlanInput> = {}): HistoryPlanInput => ({
  seed: 1,
  from: new Date('2025-01-01T00:00:00Z'),
  to: new Date('2026-01-01T00:00:00Z'),
  orders: 20_000,
  products,
  shoppers,
  ...over,
});
const year = planHistory(input());
const count = (stories: Story[], pick: (s: Story) => boolean) => stories.filter(pick).length;
const endingWith = (kind: string) => (s: Story) => s.steps.some((step) => step.kind === kind);

describe('the seeded history plan', () => {
  it('is the same story for the same seed, and another story for another seed', () => {
    expect(planHistory(input())).toEqual(year);
    const other = planHistory(input({ seed: 2 }));
    expect(other.map((s) => s.paymentId)).not.toEqual(year.map((s) => s.paymentId));
  });

  it('has about the number of checkouts asked for, each with priced lines and a total that adds up', () => {
    expect(year.length).toBeGreaterThan(19_000);
    expect(year.length).toBeLessThan(21_000);
    for (const s of year.slice(0, 500)) {
      expect(s.lines.length).toBeGreaterThanOrEqual(1);
      expect(s.amountCents).toBe(s.lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0));
    }
  });

  it('is busier on Mondays than Saturdays, in December than February, and busiest on Black Friday', () => {
    const byWeekday = [0, 1, 2, 3, 4, 5, 6].map((d) => count(year, (s) => s.checkoutAt.getUTCDay() === d));
    expect(byWeekday[1]).toBeGreaterThan(byWeekday[6] * 1.3);
    const byMonth = Array.from({ length: 12 }, (_, m) => count(year, (s) => s.checkoutAt.getUTCMonth() === m));
    expect(byMonth[11]).toBeGreaterThan(byMonth[1] * 2);
    const byDay = new Map<string, number>();
    for (const s of year) byDay.set(s.checkoutAt.toISOString().slice(0, 10), (byDay.get(s.checkoutAt.toISOString().slice(0, 10)) ?? 0) + 1);
    const busiest = [...byDay].sort((a, b) => b[1] - a[1])[0][0];
    expect(busiest).toBe(blackFriday(2025).toISOString().slice(0, 10));
  });

  it('sells camping gear in summer and lamps in winter', () => {
    const units = (category: string, month: number) =>
      year.filter((s) => s.checkoutAt.getUTCMonth() === month).reduce((n, s) => n + s.lines.filter((l) => products.find((p) => p.productId === l.productId)!.category === category).length, 0);
    expect(units('camping', 6)).toBeGreaterThan(units('camping', 0) * 2);
    const share = (category: string, month: number) => units(category, month) / ['camping', 'lighting', 'kitchen', 'shirts', 'shoes'].reduce((n, c) => n + units(c, month), 0);
    expect(share('lighting', 0)).toBeGreaterThan(share('lighting', 6) * 1.5);
  });

  it('has every kind of ending: declined, abandoned, retried, oversold, canceled, returned in full and in part, delivered', () => {
    const n = year.length;
    expect(count(year, (s) => s.oversold) / n).toBeCloseTo(0.012, 2);
    expect(count(year, endingWith('failed')) / n).toBeCloseTo(0.07, 1);
    expect(count(year, (s) => endingWith('failed')(s) && endingWith('succeeded')(s))).toBeGreaterThan(0);
    expect(count(year, endingWith('canceled'))).toBeGreaterThan(0);
    expect(count(year, endingWith('cancelOrder')) / n).toBeCloseTo(0.035, 1);
    const refunds = year.flatMap((s) => s.steps.filter((step) => step.kind === 'refund').map((step) => ({ s, cumulative: (step as { cumulativeCents: number }).cumulativeCents })));
    expect(refunds.some((r) => r.cumulative === r.s.amountCents)).toBe(true);
    expect(refunds.some((r) => r.cumulative < r.s.amountCents)).toBe(true);
    expect(count(year, endingWith('delivered')) / n).toBeGreaterThan(0.8);
  });

  it('tells every story in time order, and nothing after its end', () => {
    const end = new Date('2025-07-01T00:00:00Z');
    for (const s of planHistory(input({ to: end, orders: 3000 }))) {
      let last = s.checkoutAt.getTime();
      for (const step of s.steps) {
        expect(step.at.getTime()).toBeGreaterThan(last);
        expect(step.at.getTime()).toBeLessThan(end.getTime());
        last = step.at.getTime();
      }
    }
  });

  it('gives time-ordered ids in the shape of newId()', () => {
    expect(year[0].paymentId).toMatch(/^pay_[0-9a-f]{24}$/);
    expect(year[0].reservationId).toMatch(/^res_[0-9a-f]{24}$/);
    const ids = year.map((s) => s.paymentId);
    expect(new Set(ids).size).toBe(ids.length);
    const seconds = ids.map((id) => id.slice(4, 12));
    expect([...seconds].sort()).toEqual(seconds);
  });
});
