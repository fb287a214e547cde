/**
 * `npm start`: brings up the backing services (or uses the ones the environment names), then every
 * subgraph, worker and the gateway as child processes, and keeps them running: a child that dies
 * is restarted (restart-policy.ts: at once after a steady-state crash, with backoff if it keeps dying
 * at start, and the stack stops after five quick crashes in a row); so is a backing service it
 * started itself (mongo-java-server, redis-server, stripe-mock, Mailpit), on the same ports. Ctrl-C
 * or SIGTERM stops all of them and keeps the data in .data/. STACK_PORT_OFFSET moves every port of
 * the stack (and the URLs the processes call each other by), so a second stack can run beside one.
 */
import path from 'node:path';
import { ensureBackingServices } from './backing';
import { clearStackEnv, writeStackEnv } from './backing/stack-env';
import { launchProcess } from './backing/launch';
import { ROOT, recentOutput, type Spawned } from './backing/processes';
import { afterExit } from './backing/restart-policy';
import { peerEnv, portOffsetFromEnv, stackProcesses, type StackProcess } from './stack-processes';

const log = (msg: string) => process.stdout.write(`[start] ${msg}\n`);

async function main() {
  const startedAt = Date.now();
  const offset = portOffsetFromEnv(process.env);
  const stack = stackProcesses(offset);
  const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(ROOT, '.data'));
  const production = process.env.NODE_ENV === 'production';
  // Local stand-ins (mongo-java-server, a private redis-server, stripe-mock, Mailpit) are development defaults.
  const missing = ['MONGODB_URI', 'REDIS_URL', 'STRIPE_SECRET_KEY', 'SMTP_URL'].filter((k) => !process.env[k]);
  if (production && missing.length) throw new Error(`NODE_ENV=production needs real services; set ${missing.join(', ')} (local stand-ins are for development)`);
  const children = new Map<string, Spawned>();
  let stopping = false;
  // The backing services this command starts itself are restarted like its children (same ports,
  // same data); one that keeps dying right after starting stops the stack, even while the others
  // are still starting (a first run builds them).
  const supervision = { log, onGiveUp: (reason: string) => (log(reason), void stopAll(1)) };
  const backingStarted = ensureBackingServices({ dataDir, log, mail: true, supervision });

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping every process this command started…');
    for (const child of [...children.values()].reverse()) await child.stop();
    // If they failed to start, ensureBackingServices already stopped the ones it had started.
    await (await backingStarted.catch(() => undefined))?.stop();
    clearStackEnv();
    log('all stopped; data kept in ' + path.relative(process.cwd(), dataDir));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const backing = await backingStarted;
  if (stopping) return; // Ctrl-C, or a backing service gave up, while the others were starting.

  // Developers pay from Sandbox with simulated webhooks; production refuses the flag.
  const simulation = production ? {} : { PAYMENT_SIMULATION: process.env.PAYMENT_SIMULATION ?? 'true' };
  // Peer URLs at the moved ports, unless the environment names them itself.
  const env = { ...peerEnv(offset), ...process.env, ...simulation, ...backing.env, STACK_PARENT_PID: String(process.pid) };
  writeStackEnv(backing.env);
  const launch = async (p: StackProcess, quickCrashes = 0) => {
    const startedAt = Date.now();
    // Recorded as soon as it is spawned, not once it listens: a Ctrl-C while it loads must stop it too.
    const child = await launchProcess(p, env, { echo: true, onSpawn: (spawned) => children.set(p.name, spawned) });
    child.child.once('exit', (code, signal) => {
      if (stopping) return;
      const why = signal ? `signal ${signal}` : `code ${code}`;
      const decision = afterExit(Date.now() - startedAt, quickCrashes);
      if (!decision.restart) {
        log(`${p.name} died ${decision.quickCrashes} times in a row right after starting (last: ${why}); stopping the stack. Its last output:\n${recentOutput(child)}`);
        void stopAll(1);
        return;
      }
      log(`${p.name} exited unexpectedly (${why}); restarting it${decision.delayMs ? ` in ${decision.delayMs} ms` : ''}`);
      setTimeout(() => {
        if (stopping) return;
        launch(p, decision.quickCrashes).catch((err) => {
          if (stopping) return; // stopped by Ctrl-C while it was starting
          log(`${p.name} could not be restarted: ${err instanceof Error ? err.message : String(err)}; stopping the stack`);
          void stopAll(1);
        });
      }, decision.delayMs);
    });
  };

  try {
    await Promise.all(stack.subgraphs.map((p) => launch(p)));
    await Promise.all(stack.workers.map((p) => launch(p)));
    await launch(stack.gateway);
  } catch (err) {
    if (stopping) return; // Ctrl-C while they were starting: stopAll stops them and exits
    log(String(err instanceof Error ? err.message : err));
    await stopAll(1);
    return;
  }

  const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
  log(`ready in ${secs}s`);
  log(`GraphQL gateway + Apollo Sandbox: http://localhost:${stack.gateway.port}/graphql`);
  if (!production) log(`GraphQL explorer (works offline, signed in as the demo customer): http://localhost:${stack.gateway.port}/graphql/explorer; all links: http://localhost:${stack.gateway.port}/`);
  for (const p of stack.subgraphs) log(`  subgraph ${p.name}: http://localhost:${p.port}/graphql (gateway-signed requests only)`);
  if (backing.env.MAILPIT_URL) log(`Customer emails (Mailpit inbox): ${backing.env.MAILPIT_URL}`);
  log('Press Ctrl-C to stop everything.');
}

main().catch((err) => {
  process.stderr.write(`[start] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
