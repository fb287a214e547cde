/**
 * What bench:pipeline measures besides time: the CPU each process of the stack burns (from
 * /proc/<pid>/stat, so the Java MongoDB server, redis-server and stripe-mock count too) and the
 * MongoDB commands the stack sends, counted on the wire by a small TCP proxy between the services
 * and the server. The proxy reads only each message's header and command name (no BSON decoding):
 * it costs one extra local hop per round trip, which BENCH_ROUND_TRIPS=0 leaves out.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../backing/processes';
import { processTree } from './measure';

const TICKS_PER_SECOND = 100;

/** utime + stime of one process, in seconds; NaN once it is gone. */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return String(pid);
  }
}

/**
 * CPU seconds of every process this one started (and their children), by name: `named` gives the
 * stack's children their names, the rest are named by their command (java, redis-server, ...).
 * The bench process itself (the load generator and the proxy) is `bench`.
 */
export function cpuSnapshot(named: Map<number, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of processTree(process.pid)) {
    if (pid === process.pid) continue;
    const name = named.get(pid) ?? commandName(pid);
    const s = cpuOf(pid);
    if (Number.isFinite(s)) out.set(name, (out.get(name) ?? 0) + s);
  }
  const self = process.cpuUsage();
  out.set('bench', (self.user + self.system) / 1e6);
  return out;
}

/** CPU seconds per 1,000 orders between two snapshots, by process, largest first. */
export function cpuPerThousand(before: Map<string, number>, after: Map<string, number>, orders: number): Array<[string, number]> {
  const rows: Array<[string, number]> = [];
  for (const [name, s] of after) rows.push([name, Math.round(((s - (before.get(name) ?? 0)) / orders) * 1000 * 100) / 100]);
  return rows.sort((a, b) => b[1] - a[1]);
}

const OP_MSG = 2013;
const HEADER = 16;

/**
 * The command name of an OP_MSG whose first section is the command document: flagBits (4 bytes),
 * section kind 0 (1 byte), then the document: its size (4 bytes), the first element's type (1
 * byte) and its name (a C string), which is the command; with its collection when it names one.
 */
function opMsgCommand(msg: Buffer): string | null {
  if (msg.length < HEADER + 11 || msg.readInt32LE(12) !== OP_MSG || msg.readUInt8(HEADER + 4) !== 0) return null;
  const nameAt = HEADER + 4 + 1 + 4 + 1;
  const end = msg.indexOf(0, nameAt);
  if (end <= nameAt) return null;
  const command = msg.toString('latin1', nameAt, end);
  // A string first value (type 2: int32 length with the NUL, then the bytes) is the collection.
  if (msg.readUInt8(nameAt - 1) !== 2 || end + 5 > msg.length) return command;
  const length = msg.readInt32LE(end + 1);
  return `${command} ${msg.toString('latin1', end + 5, end + 4 + length)}`;
}

/** Driver handshakes, heartbeats and session clean-up: not work done for an order. */
const NOT_ROUND_TRIPS = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'endSessions', 'buildInfo', 'saslStart', 'saslContinue', 'killCursors']);

export interface WireCounter {
  /** The URI the services should use instead of the server's. */
  uri: string;
  /** Commands counted so far, by command name. */
  counts(): Map<string, number>;
  close(): Promise<void>;
}

/** A forwarding proxy in front of `mongoUri` that tallies every command the clients send. */
export async function startWireCounter(mongoUri: string): Promise<WireCounter> {
  const target = new URL(mongoUri);
  const tally = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk) => {
      upstream.write(chunk);
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
        const size = buffered.readInt32LE(0);
        const command = opMsgCommand(buffered.subarray(0, size));
        if (command && !NOT_ROUND_TRIPS.has(command.split(' ')[0])) tally.set(command, (tally.get(command) ?? 0) + 1);
        buffered = buffered.subarray(size);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    counts: () => new Map(tally),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Commands per order between two tallies: the total and the commands that make it up, largest first. */
export function commandsPerOrder(before: Map<string, number>, after: Map<string, number>, orders: number): { total: number; byCommand: Array<[string, number]> } {
  const byCommand: Array<[string, number]> = [];
  let total = 0;
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    total += d;
    if (d) byCommand.push([name, Math.round((d / orders) * 100) / 100]);
  }
  return { total: Math.round((total / orders) * 100) / 100, byCommand: byCommand.sort((a, b) => b[1] - a[1]) };
}

/** Redis commands served so far, by command (INFO commandstats of our own redis-server). */
export async function redisCommandCounts(redis: { info(section: string): Promise<string> }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  out.delete('info');
  return out;
}
