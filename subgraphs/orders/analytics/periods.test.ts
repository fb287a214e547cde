import { alignRange, averageCents, coverRange, listPeriods, periodKey, presetRange, rate, zeroFill } from './periods';

const d = (s: string) => new Date(s);

describe('analytics periods (UTC)', () => {
  it('keys days and months in UTC, whatever the local time zone', () => {
    expect(periodKey(d('2024-03-31T23:59:59.999Z'), 'DAY')).toBe('2024-03-31');
    expect(periodKey(d('2024-04-01T00:30:00+02:00'), 'DAY')).toBe('2024-03-31');
    expect(periodKey(d('2024-04-01T00:00:00Z'), 'MONTH')).toBe('2024-04');
  });

  it('presets are the current month and the months before it', () => {
    const now = d('2024-05-17T10:00:00Z');
    expect(presetRange('LAST_6_MONTHS', now)).toEqual({ from: d('2023-12-01T00:00:00Z'), to: d('2024-06-01T00:00:00Z') });
    expect(listPeriods(presetRange('LAST_YEAR', now), 'MONTH')).toHaveLength(12);
    expect(listPeriods(presetRange('LAST_2_YEARS', now), 'MONTH')[0]).toBe('2022-06');
  });

  it('lists every bucket of a range, widened to whole buckets, across a leap day', () => {
    expect(listPeriods({ from: d('2024-02-28T12:00:00Z'), to: d('2024-03-01T00:00:01Z') }, 'DAY')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(alignRange({ from: d('2024-01-15T00:00:00Z'), to: d('2024-03-01T00:00:00Z') }, 'MONTH')).toEqual({ from: d('2024-01-01T00:00:00Z'), to: d('2024-03-01T00:00:00Z') });
    expect(listPeriods({ from: d('2024-01-01T00:00:00Z'), to: d('2024-01-01T00:00:00Z') }, 'DAY')).toEqual([]);
  });

  it('covers a range with whole months plus ragged days', () => {
    expect(coverRange({ from: d('2024-01-30T00:00:00Z'), to: d('2024-04-03T00:00:00Z') })).toEqual({
      months: ['2024-02', '2024-03'],
      days: ['2024-01-30', '2024-01-31', '2024-04-01', '2024-04-02'],
    });
    expect(coverRange({ from: d('2024-02-01T00:00:00Z'), to: d('2024-02-10T00:00:00Z') }).months).toEqual([]);
  });

  it('fills empty buckets with zeros, in order', () => {
    const found = new Map([['2024-02', { n: 3 }]]);
    expect(zeroFill(['2024-01', '2024-02', '2024-03'], found, () => ({ n: 0 }))).toEqual([
      { period: '2024-01', n: 0 },
      { period: '2024-02', n: 3 },
      { period: '2024-03', n: 0 },
    ]);
  });

  it('computes rates and integer averages without dividing by zero', () => {
    expect(rate(3, 4)).toBe(0.75);
    expect(rate(0, 0)).toBe(0);
    expect(averageCents(1000, 3)).toBe(333);
    expect(averageCents(1001, 2)).toBe(501);
    expect(averageCents(5, 0)).toBe(0);
  });
});
