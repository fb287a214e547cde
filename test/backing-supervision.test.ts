import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { ensureBackingServices, type Backing } from '../scripts/backing';
import { DOWNLOAD_FAILED } from '../scripts/backing/mongo';
import { canConnect } from '../scripts/backing/processes';

/**
 * `npm start` supervises the backing services it started itself (scripts/start.ts passes
 * `supervision`): one that is killed comes back on the same port, so every URL the stack's
 * processes hold stays valid, with its data from its files (Redis append-only, the H2 store).
 * Same chain as npm start on a machine without MONGODB_URI, mongod or a mongod download.
 */
describe('npm start heals its backing services', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'supervised-backing-'));
  const downloadDir = mkdtempSync(path.join(os.tmpdir(), 'no-mongod-binaries-'));
  const savedMarker = existsSync(DOWNLOAD_FAILED) ? readFileSync(DOWNLOAD_FAILED, 'utf8') : null;
  const logged: string[] = [];
  const gaveUp: string[] = [];
  let backing: Backing;

  beforeAll(async () => {
    const saved = { ...process.env };
    // The services global-setup started for the other tests are in the environment: npm start's chain must not see them.
    for (const k of ['MONGODB_URI', 'REDIS_URL', 'STRIPE_SECRET_KEY', 'STRIPE_API_HOST', 'STRIPE_API_PORT', 'STRIPE_API_PROTOCOL', 'SMTP_URL']) delete process.env[k];
    process.env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !existsSync(path.join(dir, 'mongod'))).join(path.delimiter);
    process.env.MONGOMS_DOWNLOAD_DIR = downloadDir;
    process.env.MONGOMS_DOWNLOAD_URL = 'http://127.0.0.1:1/mongodb-linux-x86_64-debian12-7.0.14.tgz'; // refused at once
    try {
      backing = await ensureBackingServices({ dataDir, log: (m) => logged.push(m), supervision: { log: (m) => logged.push(m), onGiveUp: (r) => gaveUp.push(r) } });
    } finally {
      process.env = saved;
    }
  }, 120_000);

  afterAll(async () => {
    await backing?.stop();
    // The chain records a failed download for every later start: put back what was there before this test.
    if (savedMarker === null) rmSync(DOWNLOAD_FAILED, { force: true });
    else writeFileSync(DOWNLOAD_FAILED, savedMarker);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(downloadDir, { recursive: true, force: true });
  });

  it('brings a SIGKILLed redis-server back on the same port with what was written before', async () => {
    const url = backing.env.REDIS_URL;
    const port = Number(new URL(url).port);
    const before = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    await before.set('order:o1', 'PAID');
    await before.quit();
    await sleep(1_500); // appendfsync everysec: the write is in the file within a second
    const killed = pidListeningOn('redis-server', port);

    process.kill(killed, 'SIGKILL');
    await until('redis-server to be back', () => logged.some((l) => l === `redis-server is back on the same port ${port}`));

    expect(logged).toContainEqual(expect.stringMatching(new RegExp(`^redis-server died \\(signal SIGKILL\\); restarting it on the same port ${port} in \\d+ ms$`)));
    expect(pidListeningOn('redis-server', port)).not.toBe(killed);
    const after = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      expect(await after.get('order:o1')).toBe('PAID');
    } finally {
      after.disconnect();
    }
  });

  it('brings a SIGKILLed mongo-java-server back on the same port with the documents in its H2 file', async () => {
    const uri = backing.env.MONGODB_URI;
    const port = Number(new URL(uri).port);
    expect(backing.description).toContain(`H2 file ${path.join(dataDir, 'mongo', 'store.mv')}`);
    const before = await mongoose.createConnection(uri, { dbName: 'supervision_orders' }).asPromise();
    await before.db!.collection('orders').insertOne({ _id: 'o1' as never, status: 'PAID', totalCents: 4200 });
    await before.close();
    await sleep(1_500); // H2's MVStore writes its changes to the file within a second (auto-commit delay)
    const killed = pidListeningOn('MongoServerMain', port);

    process.kill(killed, 'SIGKILL');
    await until('mongo-java-server to be back', () => logged.some((l) => l === `mongo-java-server is back on the same port ${port}`), 60_000);

    expect(logged).toContainEqual(expect.stringMatching(new RegExp(`^mongo-java-server died \\(signal SIGKILL\\); restarting it on the same port ${port} in \\d+ ms$`)));
    expect(pidListeningOn('MongoServerMain', port)).not.toBe(killed);
    const after = await mongoose.createConnection(uri, { dbName: 'supervision_orders' }).asPromise();
    try {
      expect(await after.db!.collection('orders').findOne({ _id: 'o1' as never })).toEqual({ _id: 'o1', status: 'PAID', totalCents: 4200 });
    } finally {
      await after.close();
    }
  }, 90_000);

  it('restarts nothing once stopped, and never gave up', async () => {
    const ports = [backing.env.REDIS_URL, backing.env.MONGODB_URI].map((u) => Number(new URL(u).port));
    const linesBefore = logged.length;
    await backing.stop();
    await sleep(1_500); // longer than the first restart delay
    expect(await Promise.all(ports.map((p) => canConnect(p)))).toEqual([false, false]);
    expect(logged.slice(linesBefore)).toEqual([]);
    expect(gaveUp).toEqual([]);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The pid of the process listening on 127.0.0.1:`port` (Linux /proc: the listening socket's inode, then the process holding it), as an operator would find it. */
function pidListeningOn(program: string, port: number): number {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  // A JVM binds 127.0.0.1 through an IPv6 socket (::ffff:127.0.0.1): listed in tcp6.
  const listening = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) => readFileSync(table, 'utf8').split('\n')).map((l) => l.trim().split(/\s+/)).find((f) => f[1]?.endsWith(`:${portHex}`) && f[3] === '0A');
  if (!listening) throw new Error(`nothing listens on port ${port}`);
  const socket = `socket:[${listening[9]}]`;
  const holder = readdirSync('/proc').find((pid) => /^\d+$/.test(pid) && fds(pid).some((fd) => link(`/proc/${pid}/fd/${fd}`) === socket));
  if (!holder) throw new Error(`no process of ours holds the socket listening on port ${port}`);
  const cmdline = readFileSync(`/proc/${holder}/cmdline`, 'utf8');
  if (!cmdline.includes(program)) throw new Error(`port ${port} is held by ${cmdline.replace(/\0/g, ' ')}, not ${program}`);
  return Number(holder);
}

/** A process's open files, or none (another user's process, or gone meanwhile). */
function fds(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
}

function link(file: string): string | null {
  try {
    return readlinkSync(file);
  } catch {
    return null;
  }
}
