import path from 'node:path';
import { recentOutput, spawnService, waitForPort, type Spawned } from './processes';
import type { StackProcess } from '../stack-processes';

/**
 * How to run an entry: from the sources through tsx (`npm start`), or, when this file is itself
 * the compiled copy in dist/ (`npm run start:prod`), the compiled entry beside it with plain node.
 */
export function entryArgs(entry: string): string[] {
  if (!__filename.endsWith('.js')) return ['--import', 'tsx', entry];
  return [path.resolve(__dirname, '..', '..', entry.replace(/\.ts$/, '.js'))];
}

/**
 * Starts one process of the stack (entryArgs: from source or compiled) and, for those with a port, waits
 * until it listens. Used by `npm start`, the benchmarks and the chaos run. `onSpawn` sees the child
 * as soon as it exists, before it listens: npm start records it there, so that a Ctrl-C while it
 * loads stops it too.
 */
export async function launchProcess(p: StackProcess, env: NodeJS.ProcessEnv, opts: { echo?: boolean; port?: number; onSpawn?: (child: Spawned) => void } = {}): Promise<Spawned> {
  const port = opts.port ?? p.port;
  const child = spawnService(p.name, process.execPath, entryArgs(p.entry), { env: { ...env, ...(port ? { PORT: String(port) } : {}) }, echo: opts.echo });
  opts.onSpawn?.(child);
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
