import { recentOutput } from '../backing/processes';
import type { Random } from './random';
import { sleep } from './random';
import { processIsUp, type ChaosProcess, type ChaosStack } from './stack';

/**
 * What goes wrong during delivery, driven by delivery progress (0..1):
 * - a random worker replica SIGKILLed every `workerKillEveryMs` (and/or at the given progress
 *   points), restarted a moment later, as a supervisor would;
 * - once, at `stackKillAt`, every process of the stack SIGKILLed together, then all restarted;
 * - once, at `redisCrashAt`, Redis crashed as a machine does under appendonly everysec: SIGKILLed
 *   and its append-only files cut back by the last second of acknowledged writes (redis.ts), then
 *   started again from them.
 * A process that dies on its own meanwhile is restarted too (and counted).
 */
export interface FaultPlan {
  /** [min, max] ms between random worker kills; null: none on a timer. */
  workerKillEveryMs: [number, number] | null;
  /** Progress points at which one random worker is killed (besides the timer). */
  workerKillsAt: number[];
  stackKillAt: number;
  redisCrashAt: number;
  /** [min, max] ms before a killed worker is started again. */
  restartAfterMs: [number, number];
}

export interface FaultLog {
  workerKills: number;
  stackKills: number;
  redisCrashes: number;
  /** Processes that died without being killed (restarted like the others). */
  unexpectedExits: number;
  /** Seconds the whole stack was down. */
  stackDownSeconds: number;
  /** Bytes of acknowledged Redis writes the crash dropped (its last second). */
  redisBytesLost: number;
  events: string[];
}

export interface Faults {
  /** Stops injecting faults, waits for restarts in flight, and makes sure every process is up. */
  stop(): Promise<FaultLog>;
}

/** Called with a process just before it is killed (to read what it counted). */
export type BeforeKill = (p: ChaosProcess) => Promise<void>;

export function startFaults(stack: ChaosStack, plan: FaultPlan, progress: () => number, random: Random, log: (m: string) => void, beforeKill: BeforeKill = async () => {}): Faults {
  const record: FaultLog = { workerKills: 0, stackKills: 0, redisCrashes: 0, unexpectedExits: 0, stackDownSeconds: 0, redisBytesLost: 0, events: [] };
  const restarting = new Set<ChaosProcess>();
  const pending = new Set<Promise<void>>();
  const workerKillsAt = [...plan.workerKillsAt].sort();
  let stopped = false;
  let nextTimedKill = plan.workerKillEveryMs ? Date.now() + random.int(...plan.workerKillEveryMs) : Infinity;
  const note = (m: string) => {
    record.events.push(`${new Date().toISOString()} ${m}`);
    log(m);
  };

  const restartLater = (p: ChaosProcess, delayMs: number) => {
    restarting.add(p);
    const done = sleep(delayMs)
      .then(() => stack.start([p]))
      .catch((err) => note(`could not restart ${p.name}: ${String(err).split('\n')[0]}`))
      .finally(() => {
        restarting.delete(p);
        pending.delete(done);
      });
    pending.add(done);
  };

  const killRandomWorker = async () => {
    const candidates = stack.processes.filter((p) => p.role === 'worker' && processIsUp(p) && !restarting.has(p));
    if (!candidates.length) return;
    const victim = random.pick(candidates);
    await beforeKill(victim);
    await stack.kill(victim);
    record.workerKills++;
    note(`SIGKILL ${victim.name}`);
    restartLater(victim, random.int(...plan.restartAfterMs));
  };

  const killWholeStack = async () => {
    await Promise.all(pending);
    await Promise.all(stack.processes.map(beforeKill));
    const down = Date.now();
    await Promise.all(stack.processes.map((p) => stack.kill(p)));
    record.stackKills++;
    note(`SIGKILL the whole stack (${stack.processes.length} processes)`);
    await sleep(1_000);
    await stack.start();
    record.stackDownSeconds = (Date.now() - down) / 1000;
    note(`whole stack restarted after ${record.stackDownSeconds.toFixed(1)} s`);
  };

  const crashRedis = async () => {
    record.redisBytesLost = await stack.redis.crash({ loseLastMs: 1_000 });
    record.redisCrashes++;
    note(`crashed redis-server: SIGKILL, and its last second of acknowledged writes dropped (${record.redisBytesLost} bytes of its append-only file)`);
    await sleep(1_000);
    await stack.redis.start();
    note('redis-server started again from its append-only file');
  };

  /** Like a supervisor: anything that died on its own is started again. */
  const reviveTheDead = () => {
    for (const p of stack.processes) {
      if (processIsUp(p) || restarting.has(p) || !p.proc) continue;
      record.unexpectedExits++;
      const why = recentOutput(p.proc).split('\n').slice(-3).join(' | ').slice(0, 400);
      note(`${p.name} exited on its own (code ${p.proc.child.exitCode}); restarting it. Its last words: ${why}`);
      restartLater(p, 500);
    }
  };

  const loop = (async () => {
    let stackKilled = false;
    let redisCrashed = false;
    while (!stopped) {
      const at = progress();
      if (!redisCrashed && at >= plan.redisCrashAt) {
        redisCrashed = true;
        await crashRedis();
      } else if (!stackKilled && at >= plan.stackKillAt) {
        stackKilled = true;
        await killWholeStack();
      } else if ((workerKillsAt.length && at >= workerKillsAt[0]) || Date.now() >= nextTimedKill) {
        if (workerKillsAt.length && at >= workerKillsAt[0]) workerKillsAt.shift();
        else nextTimedKill = Date.now() + random.int(...plan.workerKillEveryMs!);
        await killRandomWorker();
      }
      reviveTheDead();
      await sleep(100);
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(pending);
      await stack.start();
      return record;
    },
  };
}
