import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes';

/**
 * `npm start` records which backing services it chose (their ports are picked at run time) so that
 * companion commands — seed, pay, reconcile, create-admin — talk to the same ones.
 */
const FILE = path.join(process.env.DATA_DIR ?? path.join(ROOT, '.data'), 'stack-env.json');

export function writeStackEnv(env: Record<string, string>): void {
  mkdirSync(path.dirname(FILE), { recursive: true });
  writeFileSync(FILE, JSON.stringify({ pid: process.pid, env }, null, 2));
}

export function clearStackEnv(): void {
  rmSync(FILE, { force: true });
}

/** Apply the running stack's settings to process.env (explicit environment variables still win). */
export function loadStackEnv(): boolean {
  try {
    const { pid, env } = JSON.parse(readFileSync(FILE, 'utf8')) as { pid: number; env: Record<string, string> };
    process.kill(pid, 0); // throws if that `npm start` is gone
    for (const [k, v] of Object.entries(env)) process.env[k] ??= v;
    return true;
  } catch {
    return false;
  }
}
