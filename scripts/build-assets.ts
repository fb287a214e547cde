/**
 * The second half of `npm run build` (after `tsc -p tsconfig.build.json`): copies what the
 * compiled code reads from disk next to it in dist/, at the same relative places as in the
 * source tree: every file beside the sources that is not TypeScript (subgraph schemas, email
 * templates, ...; the benchmarks' CPU-profile preload, scripts/bench/*.cjs), the composed
 * supergraph (schema/) and the gateway's static pages (gateway/public). Runs compiled, from
 * dist/scripts.
 */
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './backing/processes';

const DIST = path.join(ROOT, 'dist');

/** Files under `dir` that the compiler does not carry over: anything but TypeScript. */
function assetFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return assetFiles(p);
    return name.endsWith('.ts') ? [] : [p];
  });
}

const copies: Array<[string, string]> = [
  ...[...assetFiles(path.join(ROOT, 'subgraphs')), ...assetFiles(path.join(ROOT, 'gateway', 'src')), ...assetFiles(path.join(ROOT, 'scripts', 'bench'))].map((file): [string, string] => [file, path.join(DIST, path.relative(ROOT, file))]),
  [path.join(ROOT, 'schema'), path.join(DIST, 'schema')],
  [path.join(ROOT, 'gateway', 'public'), path.join(DIST, 'gateway', 'public')],
];
for (const [from, to] of copies) cpSync(from, to, { recursive: true });
process.stdout.write(`[build] copied ${copies.length} files and folders (schemas, templates, static pages) into ${path.relative(process.cwd(), DIST) || 'dist'}\n`);
