import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ROOT } from './processes';

/**
 * `npm start` records which backing services it chose (their ports are picked at run time) so that
 * companion commands — seed, pay, reconcile, create-admin, register-operations — talk to the same
 * ones. DATA_DIR moves the file with the rest of the data (tests point it at an empty folder so a
 * developer's running stack never lends its settings to them).
 */
export const STACK_ENV_FILE = path.join(process.env.DATA_DIR ?? path.join(ROOT, '.data'), 'stack-env.json');

export function writeStackEnv(env: Record<string, string>): void {
  mkdirSync(path.dirname(STACK_ENV_FILE), { recursive: true });
  writeFileSync(STACK_ENV_FILE, JSON.stringify({ pid: process.pid, env }, null, 2));
}

export function clearStackEnv(): void {
  rmSync(STACK_ENV_FILE, { force: true });
}

/** Apply the running stack's settings to process.env (explicit environment variables still win). */
export function loadStackEnv(): boolean {
  try {
    const { pid, env } = JSON.parse(readFileSync(STACK_ENV_FILE, 'utf8')) as { pid: number; env: Record<string, string> };
    process.kill(pid, 0); // throws if that `npm start` is gone
    for (const [k, v] of Object.entries(env)) process.env[k] ??= v;
    return true;
  } catch {
    return false;
  }
}

/**
 * Companion commands wait this long for MongoDB: a developer who forgot `npm start` learns it in
 * seconds, not after the driver's default 30 s.
 */
export const CLI_SERVER_SELECTION_TIMEOUT_MS = 5000;

/** A backing service a command-line tool could not reach; its message is the one line to print. */
export class ServiceUnreachableError extends Error {
  override name = 'ServiceUnreachableError';
}

/** What to check, depending on where the settings came from (`variables`: the ones that would name the service instead). */
export function notRunningHint(foundStack: boolean, variables = 'MONGODB_URI / REDIS_URL'): string {
  return foundStack
    ? `is \`npm start\` still running? (its services were read from ${STACK_ENV_FILE})`
    : `is \`npm start\` running? Start it in another terminal, or set ${variables} to the services to use`;
}

/** A URL fit to print: credentials replaced. */
export function printableUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** The useful part of a connection error (fetch hides the socket error in `cause`). */
function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

export interface Reachable {
  /** How to name it: "MongoDB", "Redis", "the payments service". */
  service: string;
  url: string;
  /** The environment variable(s) that would point at it instead. */
  variables: string;
  /** Whether the settings came from a running `npm start` (loadStackEnv). */
  foundStack: boolean;
}

/** Runs `connect`; any failure becomes one line naming the service, its address, the reason and the hint. */
export async function reach<T>(target: Reachable, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    throw new ServiceUnreachableError(`cannot reach ${target.service} at ${printableUrl(target.url)} (${reason(err)}): ${notRunningHint(target.foundStack, target.variables)}`);
  }
}

/** Connects `connect` to MongoDB at `uri` with the short CLI timeout, or fails with the hint. */
export function reachMongo<T>(uri: string, foundStack: boolean, connect: (serverSelectionTimeoutMS: number) => Promise<T>): Promise<T> {
  return reach({ service: 'MongoDB', url: uri, variables: 'MONGODB_URI', foundStack }, () => connect(CLI_SERVER_SELECTION_TIMEOUT_MS));
}

/**
 * Loads the running stack's settings for a command-line tool. With no stack and no MONGODB_URI it
 * would silently try the built-in defaults, so it says so first (on stderr).
 */
export function loadStackEnvForCli(tool: string): boolean {
  const found = loadStackEnv();
  if (!found && !process.env.MONGODB_URI) {
    process.stderr.write(`${tool}: no running \`npm start\` found and MONGODB_URI is not set, so trying the default local services; ${notRunningHint(false)}\n`);
  }
  return found;
}

/**
 * A Redis connection for a command-line tool: connects once or fails within seconds with one clear
 * line (no reconnect loop, no queued commands, no ioredis stack traces on stderr).
 */
export async function connectRedisForCli(url: string, foundStack: boolean): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err)); // reported below, once, instead of printed per attempt
  return reach({ service: 'Redis', url, variables: 'REDIS_URL', foundStack }, async () => {
    try {
      await redis.connect();
      return redis;
    } catch (err) {
      redis.disconnect();
      throw lastError ?? err;
    }
  });
}
