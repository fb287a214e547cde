import { canConnect, recentOutput, type Spawned } from './processes';
import { afterExit } from './restart-policy';

/**
 * A backing service `npm start` launched itself (mongo-java-server, redis-server, stripe-mock,
 * Mailpit), described so it can be started again exactly as the first time: same command, same
 * arguments, same ports. Every URL the stack's processes hold stays valid, and the service's files
 * (H2 store, Redis append-only dir, Mailpit inbox) are where it finds its data again.
 */
export interface ServiceLaunch {
  /** Named in log lines: "redis-server exited…". */
  name: string;
  /** Every port the service listens on (all fixed before the first start). */
  ports: number[];
  /** Starts the process; the same command and arguments every time. */
  spawn(): Spawned;
  /** Resolves once the process serves; rejects if it exits first or does not come up in time. */
  ready(proc: Spawned): Promise<void>;
}

/** What `npm start` passes to supervise its backing services (tests, benchmarks and chaos pass nothing). */
export interface Supervision {
  log: (msg: string) => void;
  /** The service keeps dying right after starting: the stack cannot run, stop it (`reason` says why and ends with the service's last output; not logged yet). */
  onGiveUp: (reason: string) => void;
}

export interface RunningService {
  /** Stops supervising first (a deliberate stop is never restarted), then the process. */
  stop(): Promise<void>;
}

export type ServiceExitPlan = { restart: true; delayMs: number; quickCrashes: number; message: string } | { restart: false; quickCrashes: number; message: string };

/**
 * What to do when a supervised service exited (or a restart of it failed): restart-policy.ts's
 * afterExit decides, this only words it. Pure, so the flow is unit-tested.
 */
export function planAfterServiceExit(name: string, ports: number[], why: string, ranForMs: number, quickCrashes: number): ServiceExitPlan {
  const decision = afterExit(ranForMs, quickCrashes);
  if (!decision.restart) {
    return { ...decision, message: `${name} died ${decision.quickCrashes} times in a row right after starting (last: ${why}); stopping the stack` };
  }
  return { ...decision, message: `${name} died (${why}); restarting it on the same ${portsPhrase(ports)} in ${decision.delayMs} ms` };
}

const portsPhrase = (ports: number[]) => `${ports.length > 1 ? 'ports' : 'port'} ${ports.join(', ')}`;

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/**
 * Starts a service and waits until it serves. With `supervision`, a death that nobody asked for
 * restarts it by the same rule as the stack's own processes; without, it is just started (what
 * tests, benchmarks and the chaos script want: some kill Redis on purpose and restart it themselves).
 */
export async function runService(launch: ServiceLaunch, supervision?: Supervision): Promise<RunningService> {
  const first = launch.spawn();
  try {
    await launch.ready(first);
  } catch (err) {
    await first.stop();
    throw new Error(`${launch.name} did not start: ${String(err)}\n${recentOutput(first)}`);
  }
  if (!supervision) return { stop: () => first.stop() };
  return supervise(launch, first, supervision);
}

function supervise(launch: ServiceLaunch, first: Spawned, { log, onGiveUp }: Supervision): RunningService {
  let current = first;
  let startedAt = Date.now();
  let quickCrashes = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const died = (why: string, lastOutput: string) => {
    if (stopped) return;
    const plan = planAfterServiceExit(launch.name, launch.ports, why, Date.now() - startedAt, quickCrashes);
    quickCrashes = plan.quickCrashes;
    if (!plan.restart) {
      stopped = true;
      onGiveUp(`${plan.message}. Its last output:\n${lastOutput}`);
      return;
    }
    log(plan.message);
    timer = setTimeout(() => {
      timer = undefined;
      restarting = restart().catch((err) => died(`restart failed: ${String(err)}`, recentOutput(current)));
    }, plan.delayMs);
  };

  const watch = (proc: Spawned) => {
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return died(describeExit(child.exitCode, child.signalCode), recentOutput(proc));
    child.once('exit', (code, signal) => {
      if (proc === current) died(describeExit(code, signal), recentOutput(proc));
    });
  };

  const restart = async () => {
    if (stopped) return;
    startedAt = Date.now();
    // Someone else took the port meanwhile (or the old socket is not gone yet): our process could
    // not bind, and a client of that port would reach a stranger. A failed start, retried later.
    const taken = await firstAnswering(launch.ports);
    if (stopped) return;
    if (taken !== undefined) return died(`port ${taken} still taken, could not start again`, '');
    const proc = launch.spawn();
    current = proc;
    try {
      await launch.ready(proc);
    } catch (err) {
      if (stopped) return;
      await proc.stop();
      return died(`restart failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, recentOutput(proc));
    }
    if (stopped) return;
    log(`${launch.name} is back on the same ${portsPhrase(launch.ports)}`);
    watch(proc);
  };

  watch(first);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current.stop();
      await restarting;
      await current.stop();
    },
  };
}

async function firstAnswering(ports: number[]): Promise<number | undefined> {
  for (const port of ports) if (await canConnect(port)) return port;
  return undefined;
}
