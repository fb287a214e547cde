import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import type { Queue } from 'bullmq';
import { startRedisServer } from '../scripts/backing/redis';
import { freePort } from '../scripts/backing/processes';
import { buildIntentEvent } from '../subgraphs/payments/simulated-webhooks';
import { startPaymentsWorker } from '../subgraphs/payments/worker';
import { deliver, loadPayment, publishedResults, resultsQueue, seedPayment, waitFor } from './support/payments';
import { startStack, type TestStack } from './support/stack';

/**
 * Nothing is lost between Mongo and Redis: this file runs its own redis-server so it can stop it
 * while a payment succeeds, then start it again.
 */
describe('payment results survive Redis being down (outbox + relay)', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let tempDir: string;
  let redisDir: string;
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startPaymentsWorker>>;
  let queue: Queue;

  beforeAll(async () => {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'payments-relay-'));
    redisDir = path.join(tempDir, 'redis');
    redis = await startRedisServer(redisDir, { port: await freePort() });
    stack = await startStack({ redisUrl: redis.url });
    worker = await startPaymentsWorker({ ...stack.config, port: 0 }, { relayIntervalMs: 200, relayMinAgeMs: 0 });
    queue = resultsQueue(redis.url, stack.config.queuePrefix);
  });
  afterAll(async () => {
    await queue?.close();
    await worker?.stop();
    await stack?.stop();
    await redis?.proc.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  });

  it('a webhook that arrives while Redis is down is acknowledged, and its result is published once Redis is back, exactly once', async () => {
    const payment = await seedPayment(stack);
    await redis.proc.stop();

    const event = buildIntentEvent({ payment, outcome: 'succeeded' });
    const delivery = await deliver(stack, event);
    expect(delivery.status).toBe(200);
    const recorded = await loadPayment(stack, payment._id);
    expect(recorded.status).toBe('SUCCEEDED');
    expect([recorded.outbox.map((e) => e.id), recorded.outboxPending]).toEqual([[`${payment._id}-succeeded`], 1]);

    // Stripe redelivers while Redis is still down: still one pending result.
    expect((await deliver(stack, event)).body).toEqual(expect.objectContaining({ duplicate: true }));
    expect((await loadPayment(stack, payment._id)).outbox).toHaveLength(1);
    expect((await loadPayment(stack, payment._id)).outboxPending).toBe(1);

    redis = await startRedisServer(redisDir, { port: redis.port });
    const published = await waitFor(async () => {
      const p = await loadPayment(stack, payment._id);
      return p.outboxPending === 0 && p;
    }, 20_000, 'the relay to publish the result');
    expect(published.outboxDone).toEqual([`${payment._id}-succeeded`]);

    // Several more relay passes change nothing.
    await new Promise((r) => setTimeout(r, 600));
    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => [j.id, j.data.outcome, j.data.requestId])).toEqual([[`${payment._id}-succeeded`, 'succeeded', event.id]]);
  });
});
