/**
 * `npx tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top] [skipSeconds]`: where a process
 * spent its CPU, from a V8 CPU profile (node --cpu-prof; bench:gateway writes them with
 * BENCH_CPU_PROF=<dir>). skipSeconds leaves out the start (module loading, schema building).
 * Prints self time by function and by package (node_modules/<name>, node internals, our code), and
 * the inclusive time of a few frames that matter to the gateway.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  if (!url) return '(native/program)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const own = /\/work\/[^/]+\/(.+)$/.exec(url.replace('file://', ''));
  return own ? `ours: ${own[1]}` : url;
}

function summarize(path: string, top: number, skipSeconds: number) {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  let elapsed = 0;
  const skipped = profile.samples.map((_, i) => (elapsed += profile.timeDeltas[i] ?? 0) < skipSeconds * 1e6);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (!skipped[i]) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;

  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/[^/]+\//, '')}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byPackage.set(packageOf(frame.url), (byPackage.get(packageOf(frame.url)) ?? 0) + us);
    // Inclusive time per package: count each package once per sample's stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const pkg = packageOf(byId.get(cur)!.callFrame.url);
      if (!seen.has(pkg)) {
        seen.add(pkg);
        inclusive.set(pkg, (inclusive.get(pkg) ?? 0) + us);
      }
    }
  }
  const print = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(us)}  ${k}\n`);
  };
  process.stdout.write(`${path}: ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s sampled\n`);
  print('self time by package (share of busy time)', byPackage);
  print('inclusive time by package (share of busy time)', inclusive);
  print('self time by function', byFunction);
}

summarize(process.argv[2], Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 0));
