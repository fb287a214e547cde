/**
 * How busy the shop is on a given UTC day, and at which hours: the shape the dashboard should
 * show after `npm run seed`. Multipliers of an average day; all pure.
 */
const DAY_MS = 86_400_000;

/** Sunday..Saturday: Monday is the busiest (weekend browsing, Monday buying), Saturday the quietest. */
export const WEEKDAY_FACTOR = [1.05, 1.2, 1.05, 1.0, 1.0, 0.9, 0.75] as const;

/** January..December: a quiet late winter, a small summer bump, the run-up to the holidays. */
export const MONTH_FACTOR = [0.8, 0.72, 0.88, 0.95, 1.0, 1.08, 0.98, 0.92, 0.96, 1.05, 1.35, 1.6] as const;

/** Share of a day's orders in each UTC hour: quiet nights, a lunch bump and an evening peak. */
export const HOUR_WEIGHTS = [0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 1.1, 1.2, 1.4, 1.3, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.8, 1.7, 1.2, 0.6] as const;

export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}

/** Black Friday: the day after the fourth Thursday of November. */
export function blackFriday(year: number): Date {
  const firstOfNovember = new Date(Date.UTC(year, 10, 1));
  const firstThursday = 1 + ((4 - firstOfNovember.getUTCDay() + 7) % 7);
  return new Date(Date.UTC(year, 10, firstThursday + 21 + 1));
}

/** One-off days: Black Friday weekend, Cyber Monday, the last shipping days, Christmas itself. */
export function eventFactor(day: Date): number {
  const bf = blackFriday(day.getUTCFullYear()).getTime();
  const t = day.getTime();
  if (t === bf) return 4.5;
  if (t === bf + DAY_MS || t === bf + 2 * DAY_MS) return 1.8;
  if (t === bf + 3 * DAY_MS) return 2.4; // Cyber Monday
  const month = day.getUTCMonth();
  const date = day.getUTCDate();
  if (month === 11 && date >= 14 && date <= 20) return 1.3;
  if (month === 11 && date >= 24 && date <= 26) return 0.45;
  if (month === 0 && date <= 3) return 0.7;
  return 1;
}

/**
 * The expected number of orders on `day`, relative to an average day: weekday × month × events ×
 * growth (the shop grows from 75 % to 125 % of its average over the period `from`..`to`).
 */
export function demandFactor(day: Date, from: Date, to: Date): number {
  const progress = (day.getTime() - from.getTime()) / Math.max(DAY_MS, to.getTime() - from.getTime());
  const growth = 0.75 + 0.5 * progress;
  return WEEKDAY_FACTOR[day.getUTCDay()] * MONTH_FACTOR[day.getUTCMonth()] * eventFactor(day) * growth;
}

/**
 * Category seasons (by the catalog's leaf category slug): camping in summer, lighting in the dark
 * months, kitchen gifts before Christmas, shirts in spring. Others sell evenly.
 */
export function categoryFactor(slug: string | undefined, month: number): number {
  switch (slug) {
    case 'camping':
      return [0.4, 0.4, 0.7, 1.1, 1.6, 2.0, 2.1, 1.8, 1.0, 0.6, 0.5, 0.6][month];
    case 'lighting':
      return [1.5, 1.3, 1.0, 0.8, 0.7, 0.6, 0.6, 0.7, 0.9, 1.3, 1.6, 1.7][month];
    case 'kitchen':
      return [0.8, 0.8, 0.9, 0.9, 1.0, 0.9, 0.9, 0.9, 1.0, 1.1, 1.7, 2.0][month];
    case 'shirts':
      return [0.8, 0.9, 1.3, 1.5, 1.4, 1.1, 0.9, 0.8, 1.0, 1.0, 0.9, 1.0][month];
    default:
      return 1;
  }
}
