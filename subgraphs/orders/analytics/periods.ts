/**
 * Calendar arithmetic for analytics, all in UTC: a day is `YYYY-MM-DD`, a month `YYYY-MM`, and a
 * range is half-open [from, to). Pure functions, unit-tested in periods.test.ts.
 */
export type Granularity = 'DAY' | 'MONTH';
export type PresetPeriod = 'LAST_6_MONTHS' | 'LAST_YEAR' | 'LAST_2_YEARS';

export interface DateRange {
  from: Date;
  /** Exclusive. */
  to: Date;
}

const DAY_MS = 86_400_000;
export const PRESET_MONTHS: Record<PresetPeriod, number> = { LAST_6_MONTHS: 6, LAST_YEAR: 12, LAST_2_YEARS: 24 };

export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function startOfUtcMonth(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

export function addUtcDays(d: Date, n: number): Date {
  return new Date(d.getTime() + n * DAY_MS);
}

export function addUtcMonths(d: Date, n: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
}

/** The key of the bucket that holds `d`. */
export function periodKey(d: Date, granularity: Granularity): string {
  const iso = d.toISOString();
  return granularity === 'DAY' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** The first instant of a bucket key. */
export function periodStart(key: string): Date {
  return new Date(key.length === 7 ? `${key}-01T00:00:00.000Z` : `${key}T00:00:00.000Z`);
}

/** Widen a range to whole buckets: `from` down to its bucket start, `to` up to the next bucket start. */
export function alignRange(range: DateRange, granularity: Granularity): DateRange {
  const floor = granularity === 'DAY' ? startOfUtcDay : startOfUtcMonth;
  const step = granularity === 'DAY' ? (d: Date) => addUtcDays(d, 1) : (d: Date) => addUtcMonths(d, 1);
  const from = floor(range.from);
  const lastIncluded = floor(new Date(range.to.getTime() - 1));
  return { from, to: range.to.getTime() <= from.getTime() ? from : step(lastIncluded) };
}

/** Every bucket key in [from, to), in order (the range is aligned first). */
export function listPeriods(range: DateRange, granularity: Granularity): string[] {
  const { from, to } = alignRange(range, granularity);
  const keys: string[] = [];
  for (let d = from; d < to; d = granularity === 'DAY' ? addUtcDays(d, 1) : addUtcMonths(d, 1)) keys.push(periodKey(d, granularity));
  return keys;
}

/** The N calendar months ending with the current one: [start of month N-1 ago, start of next month). */
export function presetRange(preset: PresetPeriod, now: Date): DateRange {
  const thisMonth = startOfUtcMonth(now);
  return { from: addUtcMonths(thisMonth, 1 - PRESET_MONTHS[preset]), to: addUtcMonths(thisMonth, 1) };
}

/**
 * The fewest rollup buckets that exactly cover a day-aligned range: whole months as MONTH
 * buckets, the ragged edges as DAY buckets. Reading cost grows with this, not with orders.
 */
export function coverRange(range: DateRange): { months: string[]; days: string[] } {
  const { from, to } = alignRange(range, 'DAY');
  const months: string[] = [];
  const days: string[] = [];
  let d = from;
  while (d < to) {
    const monthEnd = addUtcMonths(d, 1);
    if (d.getUTCDate() === 1 && monthEnd <= to) {
      months.push(periodKey(d, 'MONTH'));
      d = monthEnd;
    } else {
      days.push(periodKey(d, 'DAY'));
      d = addUtcDays(d, 1);
    }
  }
  return { months, days };
}

/** One value per key, zeros where the rollups had nothing. */
export function zeroFill<T>(keys: string[], found: Map<string, T>, zero: () => T): Array<{ period: string } & T> {
  return keys.map((period) => ({ period, ...(found.get(period) ?? zero()) }));
}

/** A share in [0, 1]; 0 when there is nothing to divide. */
export function rate(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** Integer average of minor units (half up); 0 when there is nothing to divide. */
export function averageCents(sumCents: number, count: number): number {
  return count > 0 ? Math.round(sumCents / count) : 0;
}
