import { median, type LoadResult } from './measure';

/** What bench:gateway measures per round and target, and how it reports it (a table and the last JSON line). */
export interface Run extends LoadResult {
  round: number;
  gatewayCpu: number;
  /** Gateway CPU time per answered request: what contention for the cores does not change much. */
  cpuMsPerRequest: number;
  subgraphCpu: number;
  benchCpu: number;
  gatewayRssMb: number;
  processes: number;
}

export interface ScenarioResult {
  scenario: string;
  runs: Record<string, Run[]>;
}

/** ours ÷ plain throughput, round by round (each pair ran back to back). */
export function ratios(result: ScenarioResult, ours: string, plain: string): number[] {
  return result.runs[ours].map((r, i) => r.rps / result.runs[plain][i].rps);
}

/** plain ÷ ours gateway CPU per request, round by round: above 1, ours spends less CPU on an answer. */
export function cpuRatios(result: ScenarioResult, ours: string, plain: string): number[] {
  return result.runs[ours].map((r, i) => result.runs[plain][i].cpuMsPerRequest / r.cpuMsPerRequest);
}

export const ms = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : NaN);

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
const spread = (xs: number[], digits = 1) => `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}]`;

/** One table per scenario: each target's median [min-max] over the rounds, and its ratios to plain. */
export function printTable(result: ScenarioResult, plain: string, log: (m: string) => void, rounds: number, seconds: number) {
  log('');
  log(`${result.scenario}: median of ${rounds} rounds of ${seconds} s [min-max]`);
  log(`  ${'target'.padEnd(14)} ${'req/s'.padEnd(20)} ${'p50 ms'.padEnd(8)} ${'p95 ms'.padEnd(8)} ${'p99 ms'.padEnd(8)} ${'gw CPU%'.padEnd(8)} ${'CPU ms/req'.padEnd(11)} ${'gw RSS MB'.padEnd(10)} ${'subgr CPU%'.padEnd(11)} ${'req/s ÷ plain'.padEnd(24)} plain CPU/req ÷ this`);
  for (const [name, runs] of Object.entries(result.runs)) {
    const m = (f: (r: Run) => number) => String(ms(median(runs.map(f))));
    const ratio = name === plain ? '1' : spread(ratios(result, name, plain), 3);
    const cpuRatio = name === plain ? '1' : spread(cpuRatios(result, name, plain), 3);
    log(`  ${name.padEnd(14)} ${spread(runs.map((r) => r.rps)).padEnd(20)} ${m((r) => r.p50).padEnd(8)} ${m((r) => r.p95).padEnd(8)} ${m((r) => r.p99).padEnd(8)} ${m((r) => r.gatewayCpu).padEnd(8)} ${m((r) => r.cpuMsPerRequest).padEnd(11)} ${m((r) => r.gatewayRssMb).padEnd(10)} ${m((r) => r.subgraphCpu).padEnd(11)} ${ratio.padEnd(24)} ${cpuRatio}`);
  }
}

/** The figures of each target, for the last JSON line. */
export function summary(result: ScenarioResult, plain: string) {
  return Object.fromEntries(
    Object.entries(result.runs).map(([name, runs]) => [
      name,
      {
        rps: round3(median(runs.map((r) => r.rps))),
        rpsRuns: runs.map((r) => round3(r.rps)),
        p50Ms: ms(median(runs.map((r) => r.p50))),
        p95Ms: ms(median(runs.map((r) => r.p95))),
        p99Ms: ms(median(runs.map((r) => r.p99))),
        cpuPercent: median(runs.map((r) => r.gatewayCpu)),
        cpuMsPerRequest: round3(median(runs.map((r) => r.cpuMsPerRequest))),
        rssMb: median(runs.map((r) => r.gatewayRssMb)),
        processes: runs[0].processes,
        failures: runs.reduce((n, r) => n + r.failures, 0),
        ...(name === plain
          ? {}
          : { ratio: round3(median(ratios(result, name, plain))), ratioRuns: ratios(result, name, plain).map(round3), cpuRatio: round3(median(cpuRatios(result, name, plain))) }),
      },
    ]),
  );
}
