/**
 * `npm run count:round-trips`: how many database round trips one paid, one-line order costs, from
 * the Stripe webhook to the analytics rollup, counted on the wire.
 *
 * Runs the whole system in this process (the four subgraphs, the gateway and every worker, as the
 * tests do) against a MongoDB-compatible server reached through a small TCP proxy that decodes each
 * OP_MSG the services send and tallies it by database, collection and command. A shopper checks out
 * through the gateway; then, counted, one signed `payment_intent.succeeded` webhook is delivered and
 * the script waits until the order is PAID, its stock sold and the analytics event applied. The same
 * window with nothing happening is counted first, so background polling (outbox relays, sweeps,
 * driver heartbeats) can be told apart. Prints a table; the last line is JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mongo } from 'mongoose';
import { ensureBackingServices } from './backing';
import { freePort } from './backing/processes';

type Tally = Map<string, number>;
const IGNORED = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'endSessions', 'buildInfo', 'saslStart', 'saslContinue', 'killCursors']);
const log = (m: string) => process.stdout.write(`[round-trips] ${m}\n`);

/** A mistake on the command line: its message is all the user needs, not a stack trace. */
class ArgumentError extends Error {}

/** It measures one fixed journey, so it takes no options: refuse them rather than ignore them silently. */
function refuseArguments(args: string[]): void {
  if (args.length) throw new ArgumentError(`count:round-trips takes no arguments (got ${args.join(' ')})`);
}

/** A proxy that forwards bytes both ways and tallies every command message the clients send. */
function countingProxy(target: { host: string; port: number }, tally: () => Tally | null) {
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
        const size = buffered.readInt32LE(0);
        record(buffered.subarray(0, size), tally());
        buffered = buffered.subarray(size);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return server;
}

const OP_MSG = 2013;
function record(message: Buffer, tally: Tally | null): void {
  if (!tally || message.readInt32LE(12) !== OP_MSG || message.readUInt8(20) !== 0) return;
  const body = mongo.BSON.deserialize(message.subarray(21), { promoteValues: false });
  const command = Object.keys(body)[0];
  if (IGNORED.has(command)) return;
  const collection = typeof body[command] === 'string' ? body[command] : '';
  const key = `${String(body.$db)}.${collection} ${command}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

const sum = (t: Tally) => [...t.values()].reduce((a, b) => a + b, 0);

async function main() {
  refuseArguments(process.argv.slice(2));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'round-trips-'));
  const backing = await ensureBackingServices({ dataDir, log, mongoStore: 'memory' });
  let current: Tally | null = null;
  const upstream = new URL(backing.env.MONGODB_URI);
  const proxyPort = await freePort();
  const proxy = countingProxy({ host: upstream.hostname, port: Number(upstream.port) }, () => current);
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
  Object.assign(process.env, backing.env, { MONGODB_URI: `mongodb://127.0.0.1:${proxyPort}` });

  // Loaded after the environment is set: the test harness reads it.
  const { runPaidCheckout } = await import('./round-trips-journey');
  try {
    const result = await runPaidCheckout({
      countIdle: async (ms) => {
        current = new Map();
        await new Promise((r) => setTimeout(r, ms));
        const idle = current;
        current = null;
        return idle;
      },
      startCounting: () => {
        current = new Map();
      },
      stopCounting: () => {
        const t = current ?? new Map();
        current = null;
        return t;
      },
      log,
    });
    const keys = [...new Set([...result.counted.keys(), ...result.idle.keys()])].sort();
    log(`webhook → order PAID → stock sold → analytics applied in ${result.ms} ms; idle window of the same length for comparison`);
    log(`${'database.collection command'.padEnd(58)} ${'webhook'.padStart(7)} ${'idle'.padStart(5)}`);
    for (const k of keys) log(`${k.padEnd(58)} ${String(result.counted.get(k) ?? 0).padStart(7)} ${String(result.idle.get(k) ?? 0).padStart(5)}`);
    const total = sum(result.counted);
    const idle = sum(result.idle);
    log(`total ${total} commands in the window, ${idle} when idle: about ${total - idle} for the order`);
    process.stdout.write(`${JSON.stringify({ roundTrips: total - idle, counted: total, idle, ms: result.ms })}\n`);
  } finally {
    proxy.close();
    await backing.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof ArgumentError) {
      process.stderr.write(`[round-trips] ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`[round-trips] ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
