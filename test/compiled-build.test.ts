import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { freePort } from '../scripts/backing/processes';
import { REAL_STRIPE, STRONG_SECRETS } from './support/production-entry';
import { testConfig } from './support/stack';
import { waitFor } from './support/wait';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
/** What `npm run build` reads besides tsconfig: the asset step copies from these. */
const ASSET_SOURCES = ['subgraphs', 'gateway', 'schema', 'scripts'];

/**
 * The production build runs: `npm run build`'s two steps (tsc with tsconfig.build.json, then the
 * compiled build-assets), into a temporary folder shaped like the Docker image's /app (package.json,
 * node_modules, dist/) so the repository's own dist/ is left alone, then one compiled process in
 * production, with plain node, answering /health and stopping cleanly on SIGTERM.
 */
describe('the production build (compiled JavaScript) runs', () => {
  let app: string;
  let child: ChildProcess | undefined;
  const config = testConfig();

  beforeAll(() => {
    app = mkdtempSync(path.join(os.tmpdir(), 'compiled-build-'));
    // The compiled code finds its project folder by package.json, and its packages in node_modules above it.
    copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    for (const dir of ASSET_SOURCES) symlinkSync(path.join(ROOT, dir), path.join(app, dir), 'dir');
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (app) rmSync(app, { recursive: true, force: true });
    const db = await mongoose.createConnection(config.mongoUri, { dbName: `${config.dbPrefix}products` }).asPromise();
    await db.dropDatabase();
    await db.close();
  });

  it('compiles without type errors, copies its assets, and a subgraph runs from dist/ with NODE_ENV=production', async () => {
    const dist = path.join(app, 'dist');
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dist, '--tsBuildInfoFile', path.join(dist, '.tsbuildinfo')], { cwd: ROOT, maxBuffer: 16 << 20 }).then(
      () => 'no type errors',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(compiled).toBe('no type errors');
    await run(process.execPath, [path.join(dist, 'scripts', 'build-assets.js')], { cwd: app });
    expect(existsSync(path.join(dist, 'subgraphs', 'products', 'schema.graphql'))).toBe(true);
    // The benchmarks' BENCH_CPU_PROF preload is plain JavaScript the compiler does not carry over.
    expect(existsSync(path.join(dist, 'scripts', 'bench', 'cpu-profile-preload.cjs'))).toBe(true);
    // At run time the image holds no sources: only package.json, node_modules and dist/.
    for (const dir of ASSET_SOURCES) rmSync(path.join(app, dir));

    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, [path.join(dist, 'subgraphs', 'products', 'main.js')], {
      cwd: app,
      env: {
        PATH: process.env.PATH!,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        SHUTDOWN_DRAIN_DELAY_MS: '500',
        MONGODB_URI: config.mongoUri,
        REDIS_URL: config.redisUrl,
        DB_PREFIX: config.dbPrefix,
        QUEUE_PREFIX: config.queuePrefix,
        ...STRONG_SECRETS,
        ...REAL_STRIPE,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const health = await waitFor("the compiled products subgraph's /health", async () => {
      if (child!.exitCode !== null) throw new Error(`the compiled products subgraph exited ${child!.exitCode}:\n${output}`);
      return fetch(`http://127.0.0.1:${port}/health`).then((r) => (r.ok ? r : null), () => null);
    }, 30_000, 200);
    expect(health.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/"level":"error"/);
  }, 90_000);
});
