import { Queue } from 'bullmq';
import { z } from 'zod';
import { createLogger } from '../subgraphs/lib/logger';
import { registry } from '../subgraphs/lib/metrics';
import { openQueue, refundRequestsQueue } from '../subgraphs/lib/queues';
import { createValidatedWorker } from '../subgraphs/lib/worker';
import { waitFor } from './support/wait';
import { testConfig } from './support/stack';

/** A money job that keeps failing backs off as its queue says, and an exhausted one is loud. */
describe('retry policy and the alert for money jobs that fail for good', () => {
  const config = testConfig();
  const deps = { connection: { url: config.redisUrl, maxRetriesPerRequest: null }, prefix: config.queuePrefix, logger: createLogger('test', 'error') };
  let queue: Queue;
  const attemptsAt: number[] = [];

  beforeAll(() => {
    queue = openQueue(refundRequestsQueue, deps).queue;
  });
  afterAll(() => queue.close());

  it('retries with a doubling delay, then counts the job in queue_jobs_exhausted_total{money="true"}', async () => {
    expect(refundRequestsQueue.jobOptions).toMatchObject({ attempts: 40, removeOnFail: false });
    expect(refundRequestsQueue.money).toBe(true);
    // The real refunds definition with a payload any job satisfies: the policy is what is tested.
    const worker = createValidatedWorker({ ...refundRequestsQueue, schema: z.object({ requestId: z.string() }) }, async () => {
      attemptsAt.push(Date.now());
      throw new Error('payments database unreachable');
    }, deps);
    try {
      // Three attempts instead of forty, to see the end in a test.
      await queue.add('refund-request', { requestId: 'r-1' }, { jobId: 'always-failing', attempts: 3 });
      await waitFor('the job to fail for good', async () => (await queue.getJob('always-failing'))?.finishedOn, 20_000);
      expect(attemptsAt).toHaveLength(3);
      const gaps = [attemptsAt[1] - attemptsAt[0], attemptsAt[2] - attemptsAt[1]];
      expect(gaps[0]).toBeGreaterThanOrEqual(900);
      expect(gaps[1]).toBeGreaterThanOrEqual(1_800);
      const metrics = await registry.getSingleMetricAsString('queue_jobs_exhausted_total');
      expect(metrics).toMatch(/queue_jobs_exhausted_total\{queue="refund-requests",money="true"\} 1/);
    } finally {
      await worker.close();
    }
  });
});
