/**
 * `npm run bench:gateway`: this gateway against a plain `new ApolloGateway({ supergraphSdl })`
 * behind @apollo/server (scripts/bench/plain-gateway.ts), on the same subgraphs and queries, in one
 * run, taking turns (the machine is shared, so only side-by-side ratios mean anything).
 *
 *  (a) nested: The Guild's federation benchmark query (about 68 KB answers, entities back and forth
 *      between four subgraphs twice) on small in-memory subgraphs (scripts/bench/nested-subgraphs.ts);
 *      ours runs once with one process and once with GATEWAY_WORKERS=2 (cluster mode).
 *  (b) storefront (product listing with stock and category) and order (four subgraphs, signed-in
 *      customer) on our real subgraphs, production mode, over a seeded database.
 *
 * Ours runs in production mode with every protection on, at production defaults: rate limits,
 * depth/alias/directive/cost/token limits (the nested query has depth 10, at the limit, and cost
 * 963 of 5,000), identity checks. Raised, because the benchmark would otherwise be refused: only
 * the general rate limit (RATE_LIMIT_POINTS: one client IP sends thousands of requests a minute).
 *
 * Prints a table per scenario (median of the rounds, [min-max] spread) and, last, one JSON line with
 * `ratio` (ours ÷ plain, nested, one process each) and `clusterRatio` (ours with GATEWAY_WORKERS=2 ÷
 * one plain process), medians of the per-round ratios, and `cpuRatio` (plain's gateway CPU time per
 * answer ÷ ours: what sharing the cores with other work changes least).
 *
 * Env: BENCH_SECONDS (10 per run), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50, the Guild's 50 virtual
 * users; (b) uses 10), BENCH_PARTS ("a,b"), BENCH_CPU_PROF=<dir> (every gateway writes a V8 CPU
 * profile there), BENCH_COMPARE_ENTRY=<another revision's gateway/src/main.ts> (adds it as target
 * "before", one process, to compare revisions in the same run).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBenchStack, type BenchStack } from './backing/bench-stack';
import { launchProcess } from './backing/launch';
import { freePort, recentOutput, spawnService, waitForPort, type Spawned } from './backing/processes';
import { GATEWAY_PROCESS, SUBGRAPH_PROCESSES } from './stack-processes';
import { cpuMeter, median, processTree, rssMb, runLoad, type Load } from './bench/measure';
import { composeNestedSupergraph, NESTED_QUERY } from './bench/nested-subgraphs';
import { ORDER_QUERY, seedRealStack, STOREFRONT_QUERY } from './bench/real-stack-seed';
import { SUPERGRAPH_PATH } from './supergraph';
import { cpuRatios, ms, printTable, ratios, round3, summary, type Run, type ScenarioResult } from './bench/report';
import { issueAccessToken } from '../subgraphs/lib/tokens';
import { SUBGRAPH_NAMES } from '../subgraphs/lib/config';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PARTS = (process.env.BENCH_PARTS ?? 'a,b').split(',');
const CPU_PROF = process.env.BENCH_CPU_PROF;
const COMPARE_ENTRY = process.env.BENCH_COMPARE_ENTRY;
const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);

/** Limits raised for the benchmark only (see the header): everything else stays at production defaults. */
const RAISED_RATE_LIMIT = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_POINTS: '100000000' };

interface Target {
  name: string;
  /** Which gateway: compared within a round against `plain`. */
  kind: 'plain' | 'ours' | 'ours-cluster' | 'before';
  load: Load;
  proc: Spawned;
}

/**
 * Starts `node [--cpu-prof] --import tsx <entry>` and waits for its port. With BENCH_CPU_PROF each
 * gateway process (cluster workers too) writes a V8 CPU profile when it exits; summarize one with
 * `npx tsx scripts/bench/profile-summary.ts <file>`.
 */
async function launchNode(name: string, entry: string, env: NodeJS.ProcessEnv, port: number): Promise<Spawned> {
  const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF, name)}`] : [];
  const proc = spawnService(name, process.execPath, [...prof, '--import', 'tsx', entry], { env: { ...env, PORT: String(port) } });
  try {
    await waitForPort(port, 60_000, proc.child);
  } catch (err) {
    await proc.stop();
    throw new Error(`${name} did not start: ${String(err)}\n${recentOutput(proc)}`);
  }
  return proc;
}

async function launchGateway(stack: BenchStack, name: string, extraEnv: NodeJS.ProcessEnv, entry = GATEWAY_PROCESS.entry): Promise<{ proc: Spawned; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...stack.env, ...RAISED_RATE_LIMIT, GATEWAY_WORKERS: '1', ...extraEnv };
  // The nested supergraph routes to its own subgraphs: no override from the real stack's URLs.
  if (extraEnv.SUPERGRAPH_PATH) for (const n of SUBGRAPH_NAMES) delete env[`${n.toUpperCase()}_URL`];
  const proc = await launchNode(name, entry, env, port);
  return { proc, url: `http://127.0.0.1:${port}/graphql` };
}

async function launchPlain(stack: BenchStack, supergraphPath: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ proc: Spawned; url: string }> {
  const port = await freePort();
  const proc = await launchNode('plain', 'scripts/bench/plain-gateway.ts', { ...stack.env, SUPERGRAPH_PATH: supergraphPath, ...extraEnv }, port);
  return { proc, url: `http://127.0.0.1:${port}/graphql` };
}

/** One answer from each target, compared: the benchmark is void unless they all answer alike and without errors. */
async function sanityCheck(targets: Target[], expect: (data: any) => string | undefined): Promise<number> {
  let reference: string | undefined;
  let bytes = 0;
  for (const t of targets) {
    const res = await fetch(t.load.url, { method: 'POST', headers: { 'content-type': 'application/json', ...t.load.headers }, body: t.load.body });
    const text = await res.text();
    const json = JSON.parse(text) as { data?: unknown; errors?: unknown };
    const problem = !res.ok || json.errors ? `${res.status} ${text.slice(0, 500)}` : expect(json.data);
    if (problem) throw new Error(`${t.name} sanity check failed: ${problem}\n${recentOutput(t.proc)}`);
    const data = JSON.stringify(json.data);
    if (reference !== undefined && data !== reference) throw new Error(`${t.name} answers differently from ${targets[0].name}`);
    reference = data;
    bytes = text.length;
  }
  return bytes;
}

async function runScenario(scenario: string, targets: Target[], subgraphPids: () => number[], connections: number): Promise<ScenarioResult> {
  log(`${scenario}: warming up each target for 5 s`);
  for (const t of targets) await runLoad(t.load, connections, 5);
  const runs: Record<string, Run[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so neither side always runs first (or right after the other's garbage).
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const gatewayPids = processTree(t.proc.child.pid!);
      const gatewayCpu = cpuMeter(() => gatewayPids);
      const subgraphCpu = cpuMeter(subgraphPids);
      const benchCpu = cpuMeter(() => [process.pid]);
      const result = await runLoad(t.load, connections, SECONDS);
      const cpu = gatewayCpu();
      const run = { ...result, round, gatewayCpu: cpu, cpuMsPerRequest: result.rps ? (cpu * 10) / result.rps : NaN, subgraphCpu: subgraphCpu(), benchCpu: benchCpu(), gatewayRssMb: rssMb(gatewayPids), processes: gatewayPids.length };
      runs[t.name].push(run);
      log(`${scenario} round ${round + 1} ${t.name.padEnd(14)} ${run.rps.toFixed(1).padStart(7)} req/s  p50 ${ms(run.p50)} ms  p95 ${ms(run.p95)} ms  p99 ${ms(run.p99)} ms  gateway CPU ${run.gatewayCpu}% (${run.cpuMsPerRequest.toFixed(2)} ms/request)  failures ${run.failures}`);
      // Timeouts happen when other work takes the cores: reported (table and JSON), not fatal.
      if (run.failures) log(`  warning: ${run.failures} failed responses (non-2xx, errors or timeouts) in this run`);
    }
  }
  return { scenario, runs };
}

async function nestedPart(stack: BenchStack, dir: string) {
  const ports = Object.fromEntries(await Promise.all(['accounts', 'inventory', 'products', 'reviews'].map(async (n) => [n, await freePort()] as const)));
  const subgraphs = await launchProcess({ name: 'nested-subgraphs', entry: 'scripts/bench/nested-subgraphs-main.ts', port: ports.reviews }, { ...stack.env, NESTED_PORTS: JSON.stringify(ports) });
  const started: Spawned[] = [subgraphs];
  try {
    const supergraphPath = path.join(dir, 'nested-supergraph.graphql');
    writeFileSync(supergraphPath, composeNestedSupergraph(Object.fromEntries(Object.entries(ports).map(([n, p]) => [n, `http://127.0.0.1:${p}/graphql`]))));
    const plain = await launchPlain(stack, supergraphPath);
    started.push(plain.proc);
    const ours = await launchGateway(stack, 'ours', { SUPERGRAPH_PATH: supergraphPath });
    started.push(ours.proc);
    const cluster = await launchGateway(stack, 'ours-cluster', { SUPERGRAPH_PATH: supergraphPath, GATEWAY_WORKERS: '2' });
    started.push(cluster.proc);
    const before = COMPARE_ENTRY ? await launchGateway(stack, 'before', { SUPERGRAPH_PATH: supergraphPath }, COMPARE_ENTRY) : undefined;
    if (before) started.push(before.proc);
    await new Promise((r) => setTimeout(r, 3000)); // cluster workers come up after the primary
    const body = JSON.stringify({ query: NESTED_QUERY, operationName: 'TestQuery' });
    const targets: Target[] = [
      { name: 'plain', kind: 'plain', load: { url: plain.url, headers: {}, body }, proc: plain.proc },
      { name: 'ours', kind: 'ours', load: { url: ours.url, headers: {}, body }, proc: ours.proc },
      { name: 'ours-cluster', kind: 'ours-cluster', load: { url: cluster.url, headers: {}, body }, proc: cluster.proc },
      ...(before ? [{ name: 'before', kind: 'before' as const, load: { url: before.url, headers: {}, body }, proc: before.proc }] : []),
    ];
    const bytes = await sanityCheck(targets, (d) => (Array.isArray(d?.users) && d.users[0]?.reviews?.[0]?.product?.reviews?.[0]?.author?.reviews?.[0]?.product?.shippingEstimate !== undefined ? undefined : 'answer is not nested as expected'));
    log(`(a) nested: all targets answer alike, ${(bytes / 1024).toFixed(1)} KB per response; ${CONNECTIONS} connections`);
    return { result: await runScenario('(a) nested', targets, () => [subgraphs.child.pid!], CONNECTIONS), bytes };
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

async function realPart(stack: BenchStack, dir: string) {
  for (const p of SUBGRAPH_PROCESSES) await stack.launch(p);
  const { orderId, customerId } = await seedRealStack(stack.mongoUri, stack.dbPrefix, 300);
  const routed = readFileSync(SUPERGRAPH_PATH, 'utf8').replace(/@join__graph\(name: "([^"]+)", url: "[^"]+"\)/g, (_m, name: string) => `@join__graph(name: "${name}", url: "http://127.0.0.1:${stack.ports[name]}/graphql")`);
  const supergraphPath = path.join(dir, 'real-supergraph.graphql');
  writeFileSync(supergraphPath, routed);
  const started: Spawned[] = [];
  try {
    const identity = { sub: customerId, role: 'CUSTOMER', rid: 'bench' };
    const plain = await launchPlain(stack, supergraphPath, { SIGN_AS: JSON.stringify(identity) });
    started.push(plain.proc);
    const ours = await launchGateway(stack, 'ours', {});
    started.push(ours.proc);
    const before = COMPARE_ENTRY ? await launchGateway(stack, 'before', {}, COMPARE_ENTRY) : undefined;
    if (before) started.push(before.proc);
    const token = await issueAccessToken({ sub: customerId, role: 'CUSTOMER' }, stack.secrets.JWT_SECRET);
    const subgraphPids = () => stack.children.filter((c) => (SUBGRAPH_NAMES as string[]).includes(c.name)).flatMap((c) => processTree(c.proc.child.pid!));
    const results: ScenarioResult[] = [];
    const storefront = JSON.stringify({ query: STOREFRONT_QUERY, variables: { first: 20 }, operationName: 'Storefront' });
    const storefrontTargets: Target[] = [
      { name: 'plain', kind: 'plain', load: { url: plain.url, headers: {}, body: storefront }, proc: plain.proc },
      { name: 'ours', kind: 'ours', load: { url: ours.url, headers: {}, body: storefront }, proc: ours.proc },
      ...(before ? [{ name: 'before', kind: 'before' as const, load: { url: before.url, headers: {}, body: storefront }, proc: before.proc }] : []),
    ];
    await sanityCheck(storefrontTargets, (d) => (d?.products?.edges?.length === 20 && d.products.edges[0].node.category ? undefined : 'expected 20 products with categories'));
    results.push(await runScenario('(b) storefront', storefrontTargets, subgraphPids, 10));
    const order = JSON.stringify({ query: ORDER_QUERY, variables: { id: orderId }, operationName: 'Order' });
    const orderTargets: Target[] = [
      { name: 'plain', kind: 'plain', load: { url: plain.url, headers: {}, body: order }, proc: plain.proc },
      { name: 'ours', kind: 'ours', load: { url: ours.url, headers: { authorization: `Bearer ${token}` }, body: order }, proc: ours.proc },
      ...(before ? [{ name: 'before', kind: 'before' as const, load: { url: before.url, headers: { authorization: `Bearer ${token}` }, body: order }, proc: before.proc }] : []),
    ];
    await sanityCheck(orderTargets, (d) => (d?.order?.lines?.[0]?.product?.name && d.order.customer?.email && d.order.payment?.status ? undefined : 'expected an order across four subgraphs'));
    results.push(await runScenario('(b) order', orderTargets, subgraphPids, 10));
    return results;
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

async function main() {
  const stack = await startBenchStack(log);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gateway-'));
  const out: Record<string, unknown> = {};
  try {
    log(`${ROUNDS} rounds of ${SECONDS} s per target, alternating; parts ${PARTS.join(',')}`);
    if (PARTS.includes('a')) {
      const { result, bytes } = await nestedPart(stack, dir);
      printTable(result, 'plain', log, ROUNDS, SECONDS);
      out.ratio = round3(median(ratios(result, 'ours', 'plain')));
      out.clusterRatio = round3(median(ratios(result, 'ours-cluster', 'plain')));
      out.cpuRatio = round3(median(cpuRatios(result, 'ours', 'plain')));
      out.nested = { responseKb: Math.round(bytes / 102.4) / 10, connections: CONNECTIONS, ...summary(result, 'plain') };
    }
    if (PARTS.includes('b')) {
      for (const result of await realPart(stack, dir)) {
        printTable(result, 'plain', log, ROUNDS, SECONDS);
        out[result.scenario.replace(/^\(b\) /, '')] = { connections: 10, ...summary(result, 'plain') };
      }
    }
    log(`raised for the benchmark: ${Object.entries(RAISED_RATE_LIMIT).map(([k, v]) => `${k}=${v}`).join(', ')}; every other limit at its production default`);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, ...out })}\n`);
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
