import { freePort, spawnService, waitForPort, recentOutput } from '../scripts/backing/processes';
import { testConfig } from './support/stack';

/** A subgraph process told to stop once drains and exits 0 (Apollo's own signal handling must not cut it short). */
describe('a subgraph process stops gracefully on one SIGTERM', () => {
  it('logs "stopped" and exits 0', async () => {
    const config = testConfig();
    const port = await freePort();
    const proc = spawnService('products', process.execPath, ['--import', 'tsx', 'subgraphs/products/main.ts'], {
      env: { ...process.env, NODE_ENV: 'development', PORT: String(port), DB_PREFIX: config.dbPrefix, QUEUE_PREFIX: config.queuePrefix, LOG_LEVEL: 'info' },
    });
    await waitForPort(port, 60_000, proc.child);
    const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
    proc.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = recentOutput(proc);
    expect(log).toContain('"message":"stopped"');
    expect(log).not.toContain('second signal');
  });
});
