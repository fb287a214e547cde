import { runEvery } from './periodic';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a periodic pass', () => {
  it('never runs two passes at once: a tick during a slow pass is skipped, and runOnce joins the pass in flight', async () => {
    let started = 0;
    let inFlight = 0;
    let mostAtOnce = 0;
    const loop = runEvery(10, async () => {
      started++;
      mostAtOnce = Math.max(mostAtOnce, ++inFlight);
      await sleep(60);
      inFlight--;
      return started;
    });
    await sleep(25);
    const joined = loop.runOnce();
    expect(await joined).toBe(1);
    await loop.stop();
    expect(mostAtOnce).toBe(1);
    expect(started).toBeLessThanOrEqual(2);
  });

  it('runs at once when asked, and stop() waits for the pass in flight', async () => {
    let finished = false;
    const loop = runEvery(
      60_000,
      async () => {
        await sleep(30);
        finished = true;
      },
      { immediately: true },
    );
    await loop.stop();
    expect(finished).toBe(true);
  });
});
