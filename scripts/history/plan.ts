import { createHash } from 'node:crypto';
import type { AddressSnapshot, LineSnapshot } from '../../subgraphs/lib/queues';
import { linesTotalCents } from '../../subgraphs/payments/pending-payment';
import { HOUR_WEIGHTS, addDays, categoryFactor, demandFactor, startOfUtcDay } from './calendar';
import { createRandom, zipfWeights, type Random } from './random';

/**
 * The seeded history as a list of stories, one per checkout: who bought what, when, and what
 * happened next (the payment failed or succeeded, the order was canceled, shipped, delivered,
 * returned). Pure and deterministic: the same input and seed number give the same stories with the
 * same ids. replay.ts then makes each story happen through the domain functions.
 */
export interface PlanProduct {
  productId: string;
  name: string;
  sku?: string;
  unitPriceCents: number;
  currency: string;
  /** The leaf category's slug (seasons: calendar.ts categoryFactor). */
  category?: string;
}

export interface PlanShopper {
  customerId: string;
  address: AddressSnapshot;
}

export type Step =
  | { kind: 'failed' | 'succeeded' | 'canceled' | 'processing' | 'delivered'; at: Date }
  | { kind: 'cancelOrder'; at: Date; by: 'customer' | 'admin'; reason: string }
  | { kind: 'shipped'; at: Date; carrier: string; trackingNumber: string }
  /** Money given back; `cumulativeCents` is what Stripe reports as refunded so far. */
  | { kind: 'refund'; at: Date; cumulativeCents: number };

export interface Story {
  index: number;
  paymentId: string;
  intentId: string;
  reservationId: string;
  customerId: string;
  shippingAddress: AddressSnapshot;
  lines: LineSnapshot[];
  currency: string;
  amountCents: number;
  /** When the customer checked out (the payment is created). */
  checkoutAt: Date;
  /** The stock turned out to be gone when the payment succeeded (the order is refunded). */
  oversold: boolean;
  /** In time order; only steps before the end of the period. */
  steps: Step[];
}

export interface HistoryPlanInput {
  seed: number;
  from: Date;
  to: Date;
  /** About how many checkouts over the whole period. */
  orders: number;
  products: PlanProduct[];
  shoppers: PlanShopper[];
}

/** How the stories end, as shares of checkouts (the rest are paid and fulfilled). */
export const OUTCOME_RATES = {
  /** The card is declined at first... */
  declined: 0.07,
  /** ...then paid with another card (of the declined), or abandoned and canceled. */
  retriedAfterDecline: 0.45,
  abandonedAfterDecline: 0.3,
  /** Paid, but the stock was gone by then (the hold had expired): refunded at once. */
  oversold: 0.012,
  /** Paid, then canceled before it shipped. */
  canceled: 0.035,
  /** Delivered, then returned in full, or in part. */
  returned: 0.025,
  partlyReturned: 0.025,
} as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CARRIERS = ['UPS', 'DHL', 'FedEx', 'USPS'];

export function planHistory(input: HistoryPlanInput): Story[] {
  if (!input.products.length) throw new Error('the catalog is empty: nothing to sell');
  if (!input.shoppers.length) throw new Error('no shoppers to sell to');
  const random = createRandom(input.seed);
  const days = daysOf(input.from, input.to);
  const factors = days.map((d) => demandFactor(d, input.from, input.to));
  const perAverageDay = input.orders / factors.reduce((s, f) => s + f, 0);
  const shopperWeights = zipfWeights(input.shoppers.length, 0.6);
  const popularity = productPopularity(input.products, input.seed);
  const stories: Story[] = [];
  for (let i = 0; i < days.length; i++) {
    const weights = popularity.map((w, p) => w * categoryFactor(input.products[p].category, days[i].getUTCMonth()));
    const count = random.poisson(perAverageDay * factors[i]);
    const times = Array.from({ length: count }, () => timeOn(days[i], random)).sort((a, b) => a.getTime() - b.getTime());
    for (const checkoutAt of times) {
      if (checkoutAt >= input.to) continue;
      const shopper = input.shoppers[random.weighted(shopperWeights)];
      const lines = basket(random, input.products, weights);
      stories.push(story(stories.length, input.seed, checkoutAt, shopper, lines, random, input.to));
    }
  }
  return stories;
}

function daysOf(from: Date, to: Date): Date[] {
  const days: Date[] = [];
  for (let d = startOfUtcDay(from); d < to; d = addDays(d, 1)) days.push(d);
  return days;
}

function timeOn(day: Date, random: Random): Date {
  const hour = random.weighted(HOUR_WEIGHTS);
  return new Date(day.getTime() + hour * HOUR + random.int(0, 3599) * 1000);
}

/** Popularity by rank, with ranks dealt out in a seed-independent shuffle so best-sellers span categories. */
function productPopularity(products: PlanProduct[], seed: number): number[] {
  const ranks = createRandom(7919 + seed);
  const order = products.map((_, i) => ({ i, key: ranks.next() })).sort((a, b) => a.key - b.key);
  const zipf = zipfWeights(products.length, 0.8);
  const weights = new Array<number>(products.length);
  order.forEach(({ i }, rank) => (weights[i] = zipf[rank]));
  return weights;
}

/** One to four different products, mostly one of each. */
function basket(random: Random, products: PlanProduct[], weights: number[]): LineSnapshot[] {
  const size = 1 + random.weighted([55, 28, 12, 5]);
  const chosen = new Map<number, number>();
  for (let tries = 0; chosen.size < size && tries < 20; tries++) {
    const p = random.weighted(weights);
    if (!chosen.has(p)) chosen.set(p, 1 + random.weighted([75, 18, 7]));
  }
  return [...chosen].map(([p, quantity]) => {
    const { productId, name, sku, unitPriceCents } = products[p];
    return { productId, name, ...(sku ? { sku } : {}), unitPriceCents, quantity };
  });
}

function story(index: number, seed: number, checkoutAt: Date, shopper: PlanShopper, lines: LineSnapshot[], random: Random, end: Date): Story {
  const amountCents = linesTotalCents(lines);
  const id = (prefix: string) => historyId(prefix, seed, index, checkoutAt);
  const base = {
    index,
    paymentId: id('pay'),
    intentId: `pi_${id('hist').slice(5)}`,
    reservationId: id('res'),
    customerId: shopper.customerId,
    shippingAddress: shopper.address,
    lines,
    currency: 'USD',
    amountCents,
    checkoutAt,
  };
  const { steps, oversold } = whatHappened(random, checkoutAt, lines, amountCents);
  return { ...base, oversold, steps: steps.filter((s) => s.at < end) };
}

/** The steps after checkout, each a little after the one before. */
function whatHappened(random: Random, checkoutAt: Date, lines: LineSnapshot[], amountCents: number): { steps: Step[]; oversold: boolean } {
  const steps: Step[] = [];
  let at = new Date(checkoutAt.getTime() + random.int(1, 6) * MINUTE);
  // Whole seconds, as Stripe dates its events.
  const after = (minMs: number, maxMs: number) => (at = new Date(at.getTime() + random.int(minMs / 1000, maxMs / 1000) * 1000));

  if (random.chance(OUTCOME_RATES.declined)) {
    steps.push({ kind: 'failed', at });
    const next = random.weighted([OUTCOME_RATES.retriedAfterDecline, OUTCOME_RATES.abandonedAfterDecline, 1 - OUTCOME_RATES.retriedAfterDecline - OUTCOME_RATES.abandonedAfterDecline]);
    if (next === 1) steps.push({ kind: 'canceled', at: after(HOUR, 24 * HOUR) });
    if (next !== 0) return { steps, oversold: false };
    after(2 * MINUTE, 40 * MINUTE);
  }
  steps.push({ kind: 'succeeded', at });
  if (random.chance(OUTCOME_RATES.oversold)) return { steps, oversold: true };

  if (random.chance(OUTCOME_RATES.canceled)) {
    const byCustomer = random.chance(0.7);
    steps.push({ kind: 'cancelOrder', at: after(20 * MINUTE, 10 * HOUR), by: byCustomer ? 'customer' : 'admin', reason: byCustomer ? 'ordered by mistake' : 'address could not be verified' });
    return { steps, oversold: false };
  }
  // Most orders ship straight from PAID; a third wait in PROCESSING first (back-ordered, made to order).
  if (random.chance(0.35)) steps.push({ kind: 'processing', at: after(2 * HOUR, 20 * HOUR) });
  steps.push({ kind: 'shipped', at: after(6 * HOUR, 48 * HOUR), carrier: CARRIERS[random.int(0, CARRIERS.length - 1)], trackingNumber: `1Z${random.int(100000, 999999)}${random.int(100000, 999999)}` });
  steps.push({ kind: 'delivered', at: after(36 * HOUR, 5 * 24 * HOUR) });

  const returns = random.weighted([OUTCOME_RATES.returned, OUTCOME_RATES.partlyReturned, 1 - OUTCOME_RATES.returned - OUTCOME_RATES.partlyReturned]);
  if (returns === 0) steps.push({ kind: 'refund', at: after(2 * 24 * HOUR, 20 * 24 * HOUR), cumulativeCents: amountCents });
  if (returns === 1) steps.push({ kind: 'refund', at: after(2 * 24 * HOUR, 15 * 24 * HOUR), cumulativeCents: partialRefund(lines, amountCents) });
  return { steps, oversold: false };
}

/** One unit of the cheapest line back (a partly returned order), never the whole amount. */
function partialRefund(lines: LineSnapshot[], amountCents: number): number {
  const cheapest = Math.min(...lines.map((l) => l.unitPriceCents));
  return cheapest < amountCents ? cheapest : Math.floor(amountCents / 2);
}

/**
 * A deterministic id in the shape of newId() (`pay_` + 24 hex digits, time-ordered like an
 * ObjectId: the checkout time in seconds, then a hash of seed and story), so re-running the same
 * seed finds the same payments instead of adding a second history.
 */
export function historyId(prefix: string, seed: number, index: number, at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000).toString(16).padStart(8, '0');
  const rest = createHash('sha1').update(`history:${seed}:${index}:${prefix}`).digest('hex').slice(0, 16);
  return `${prefix}_${seconds}${rest}`;
}
