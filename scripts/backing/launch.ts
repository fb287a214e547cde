import { recentOutput, spawnService, waitForPort, type Spawned } from './processes';
import type { StackProcess } from '../stack-processes';

/**
 * Starts one process of the stack (`node --import tsx <entry>`) and, for those with a port, waits
 * until it listens. Used by `npm start` and by the benchmarks.
 */
export async function launchProcess(p: StackProcess, env: NodeJS.ProcessEnv, opts: { echo?: boolean; port?: number } = {}): Promise<Spawned> {
  const port = opts.port ?? p.port;
  const child = spawnService(p.name, process.execPath, ['--import', 'tsx', p.entry], { env: { ...env, ...(port ? { PORT: String(port) } : {}) }, echo: opts.echo });
  if (port) {
    try {
      await waitForPort(port, 60_000, child.child);
    } catch (err) {
      await child.stop();
      throw new Error(`${p.name} did not start: ${String(err)}\n${recentOutput(child)}`);
    }
  }
  return child;
}
