import type { Connection } from 'mongoose';
import { customerModel } from '../../subgraphs/customers/model';
import { SEED_ADMIN } from '../../subgraphs/customers/seed';
import { createLogger } from '../../subgraphs/lib/logger';
import { addDays, startOfUtcDay } from './calendar';
import { catalogForHistory } from './catalog';
import { planHistory, type Story } from './plan';
import { openHistoryPipeline, type HistoryStats } from './replay';
import { ensureShoppers } from './shoppers';

/** `npm run seed`'s year of orders: planned (plan.ts), then replayed through the domain functions (replay.ts). */
export interface HistoryOptions {
  seed: number;
  /** How far back the history starts (it ends now). */
  days: number;
  /** About how many checkouts in all. */
  orders: number;
  shoppers: number;
  /** Stories replayed at once: they touch different orders and payments, and rollups take any number of concurrent $inc's. */
  concurrency: number;
  /** The end of the history (default: now). */
  end?: Date;
  log: (message: string) => void;
}

export const DEFAULT_HISTORY = { seed: 1, days: 365, orders: 2000, shoppers: 300, concurrency: 8 } as const;

export interface HistoryReport extends HistoryStats {
  stories: number;
  byOutcome: Record<string, number>;
  seconds: number;
}

export async function seedHistory(db: { customers: Connection; products: Connection; orders: Connection; payments: Connection }, opts: HistoryOptions): Promise<HistoryReport> {
  const started = Date.now();
  const end = opts.end ?? new Date();
  const from = addDays(startOfUtcDay(end), -opts.days);
  const admin = await customerModel(db.customers).findOne({ email: SEED_ADMIN.email }, { _id: 1 }).lean();
  if (!admin) throw new Error(`the admin ${SEED_ADMIN.email} is missing: seed the accounts first`);
  const [products, shoppers] = await Promise.all([catalogForHistory(db.products), ensureShoppers(db.customers, opts.shoppers)]);
  const stories = planHistory({ seed: opts.seed, from, to: end, orders: opts.orders, products, shoppers });
  opts.log(`history: ${stories.length} checkouts from ${from.toISOString().slice(0, 10)} to ${end.toISOString().slice(0, 10)} (seed ${opts.seed}) by ${shoppers.length} shoppers over ${products.length} products`);

  // The domain functions log every payment change at info; the seed reports its own progress.
  const pipeline = await openHistoryPipeline(db, { adminId: admin._id, logger: createLogger('seed-history', 'error') });
  const progress = progressReporter(stories.length, opts.log, started);
  await inParallel(stories, opts.concurrency, async (story) => {
    await pipeline.replay(story);
    progress.tick(story);
  });
  progress.done();
  return { ...pipeline.stats, stories: stories.length, byOutcome: outcomes(stories), seconds: (Date.now() - started) / 1000 };
}

/** Runs `work` over `items` with at most `limit` at a time, in order of start; the first failure stops it. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, runner));
}

/** One line every two seconds: how far, how fast, which month. */
function progressReporter(total: number, log: (m: string) => void, started: number) {
  let done = 0;
  let lastLine = Date.now();
  let month = '';
  const line = () => {
    const secs = (Date.now() - started) / 1000;
    log(`history: ${done}/${total} checkouts (${Math.round((done / Math.max(1, total)) * 100)}%), up to ${month}, ${Math.round(done / Math.max(secs, 0.001))}/s, ${secs.toFixed(0)} s`);
  };
  return {
    tick(story: Story) {
      done++;
      month = story.checkoutAt.toISOString().slice(0, 7);
      if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        line();
      }
    },
    done: line,
  };
}

/** How the stories ended, for the summary line. */
export function outcomes(stories: Story[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of stories) {
    const kinds = s.steps.map((step) => step.kind);
    const key = s.oversold
      ? 'oversold'
      : kinds.includes('cancelOrder')
        ? 'canceled'
        : kinds.includes('refund')
          ? 'refunded'
          : !kinds.includes('succeeded')
            ? kinds.includes('canceled')
              ? 'payment canceled'
              : 'payment failed'
            : (kinds[kinds.length - 1] ?? 'pending');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
