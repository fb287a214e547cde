import type { Redis } from 'ioredis';

/**
 * A fixed-window rate limit decided locally, with the count shared through Redis in batches:
 * the per-request decision costs no Redis round trip.
 *
 * Each instance counts what it admits per key and window; a flush adds those counts to one Redis
 * counter per key and window (INCRBY, expiring with the window) and learns the total of every
 * instance from the reply. A request is admitted while (total known at the last flush) + (admitted
 * here since) stays within `points`. Flushes run at most every `syncMs` for keys already known, and
 * at once (next tick) for a key's first request in a window, so every instance learns a client's
 * shared count as soon as it starts.
 *
 * Tolerance: one instance alone is exact. Across N instances, each one decides on the shared total
 * as of its last flush, and flushes within `syncMs` of a request: so a client may get, beyond
 * `points`, at most what it sends to each instance in one sync interval plus one Redis round trip
 * (about 250 ms of its traffic per instance). Windows are aligned to the clock, so (as with any
 * fixed window) a burst at a boundary can see up to 2 x points in `duration`.
 * If Redis is away, flushes fail and are retried; meanwhile each instance counts alone (in memory),
 * so an outage neither opens the gate nor refuses everyone.
 */
export interface LimitDecision {
  allowed: boolean;
  remaining: number;
  msBeforeNext: number;
}

interface Entry {
  window: number;
  /** The shared total at the last flush (this instance's flushed counts included). */
  shared: number;
  /** Sent in the flush still awaiting its reply. */
  inflight: number;
  /** Admitted here and not sent yet. */
  pending: number;
}

export interface SyncedLimiterOptions {
  redis: Redis;
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  syncMs?: number;
}

export class SyncedWindowLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private readonly windowMs: number;
  private readonly syncMs: number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private flushing = false;
  private sweptWindow = 0;

  constructor(private readonly opts: SyncedLimiterOptions) {
    this.windowMs = opts.durationSeconds * 1000;
    this.syncMs = opts.syncMs ?? 250;
  }

  consume(key: string, points = 1, now = Date.now()): LimitDecision {
    const window = Math.floor(now / this.windowMs);
    const msBeforeNext = (window + 1) * this.windowMs - now;
    let entry = this.entries.get(key);
    const fresh = !entry || entry.window !== window;
    if (!entry || entry.window !== window) {
      entry = { window, shared: 0, inflight: 0, pending: 0 };
      this.entries.set(key, entry);
    }
    const used = entry.shared + entry.inflight + entry.pending;
    if (used + points > this.opts.points) return { allowed: false, remaining: Math.max(0, this.opts.points - used), msBeforeNext };
    entry.pending += points;
    this.dirty.add(key);
    this.scheduleFlush(fresh);
    return { allowed: true, remaining: this.opts.points - used - points, msBeforeNext };
  }

  /** Sends every pending count now (tests, shutdown). */
  async flush(): Promise<void> {
    this.cancelScheduled();
    if (this.flushing) return;
    this.flushing = true;
    try {
      await this.sendPending();
    } finally {
      this.flushing = false;
      if (this.dirty.size) this.scheduleFlush(false);
    }
  }

  stop(): void {
    this.cancelScheduled();
  }

  private scheduleFlush(soon: boolean): void {
    if (soon && !this.immediate) {
      this.immediate = setImmediate(() => void this.flush());
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => void this.flush(), this.syncMs);
      this.timer.unref();
    }
  }

  private cancelScheduled(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private async sendPending(now = Date.now()): Promise<void> {
    this.forgetPastWindows(Math.floor(now / this.windowMs));
    if (!this.dirty.size || this.opts.redis.status !== 'ready') return;
    const batch = [...this.dirty].flatMap((key) => {
      const entry = this.entries.get(key);
      if (!entry || !entry.pending) return [];
      const sent = { key, entry, window: entry.window, delta: entry.pending };
      entry.inflight += entry.pending;
      entry.pending = 0;
      return [sent];
    });
    this.dirty.clear();
    if (!batch.length) return;
    const pipeline = this.opts.redis.pipeline();
    for (const b of batch) {
      const redisKey = `${this.opts.keyPrefix}:${b.key}:${b.window}`;
      pipeline.incrby(redisKey, b.delta);
      pipeline.pexpire(redisKey, (b.window + 1) * this.windowMs - now + 1000);
    }
    const replies = await pipeline.exec().catch(() => null);
    batch.forEach((b, i) => {
      b.entry.inflight -= b.delta;
      const [err, total] = replies?.[i * 2] ?? [new Error('no reply'), null];
      if (b.entry.window !== b.window) return; // the window moved on meanwhile
      if (err || typeof total !== 'number') {
        // Not counted in Redis: keep it for the next flush, and keep counting it here.
        b.entry.pending += b.delta;
        this.dirty.add(b.key);
      } else {
        b.entry.shared = Math.max(b.entry.shared, total);
      }
    });
  }

  /** Once per window: entries of past windows are of no use (their Redis keys expire too). */
  private forgetPastWindows(current: number): void {
    if (current === this.sweptWindow) return;
    this.sweptWindow = current;
    for (const [key, entry] of this.entries) {
      if (entry.window < current) {
        this.entries.delete(key);
        this.dirty.delete(key);
      }
    }
  }
}
