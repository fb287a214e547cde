import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../scripts/backing/processes';
import { loadPayment, seedPayment } from './support/payments';
import { startStack, type TestStack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
/** Settings a developer's shell (or jest's global setup) may hold; each test names the ones it means. */
const SERVICE_VARIABLES = ['MONGODB_URI', 'REDIS_URL', 'DB_PREFIX', 'QUEUE_PREFIX', 'PAYMENTS_URL', 'SMTP_URL', 'MAILPIT_URL', 'STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_API_HOST', 'STRIPE_API_PORT', 'STRIPE_API_PROTOCOL', 'ADMIN_PASSWORD'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `scripts/<script>` as `npm run` would (through tsx), never rejecting: the exit code is what is tested. */
function runScript(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVICE_VARIABLES) delete clean[name];
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], { cwd: ROOT, env: { ...clean, NODE_ENV: 'development', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Not a stack trace: the one clear line a person should read. */
const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

describe('command-line scripts without the services they need: a clear line, a non-zero exit, in seconds', () => {
  const dirs: string[] = [];
  let closedPort: number;
  /** An empty data folder: no `.data/stack-env.json` of a developer's running `npm start` is found. */
  let noStack: string;
  const seconds = 20_000; // tsx start-up plus the 5 s database timeout, on a busy machine

  beforeAll(async () => {
    closedPort = await freePort();
    noStack = mkdtempSync(path.join(os.tmpdir(), 'cli-nostack-'));
    dirs.push(noStack);
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('register-operations exits 1 naming the Redis it could not reach, instead of retrying forever', async () => {
    const ops = mkdtempSync(path.join(os.tmpdir(), 'cli-ops-'));
    dirs.push(ops);
    writeFileSync(path.join(ops, 'hello.graphql'), 'query Hello { __typename }\n');
    const run = await runScript('register-operations.ts', [ops], { DATA_DIR: noStack, REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(seconds);
    expect(run.stderr.trim()).toMatch(new RegExp(`^register-operations: cannot reach Redis at redis://127\\.0\\.0\\.1:${closedPort} \\(.*ECONNREFUSED.*\\): is \`npm start\` running\\?`));
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    noStackTrace(run.stderr);
  });

  it('pay, create-admin and reconcile say "is `npm start` running?" when MongoDB does not answer, and exit non-zero', async () => {
    const mongo = { DATA_DIR: noStack, MONGODB_URI: `mongodb://127.0.0.1:${closedPort}`, REDIS_URL: `redis://127.0.0.1:${closedPort}` };
    const [pay, admin, reconcile] = await Promise.all([
      runScript('pay.ts', ['pay_0123456789abcdef01234567'], mongo),
      runScript('create-admin.ts', ['--email', 'ops@example.com'], { ...mongo, ADMIN_PASSWORD: 'a long admin passphrase 42' }),
      runScript('reconcile.ts', [], mongo),
    ]);
    for (const [run, code, tool] of [[pay, 1, 'pay failed'], [admin, 1, 'create-admin'], [reconcile, 2, 'reconcile failed']] as const) {
      expect({ tool, code: run.code }).toEqual({ tool, code });
      expect(run.stderr).toContain(`${tool}: cannot reach MongoDB at mongodb://127.0.0.1:${closedPort} (`);
      expect(run.stderr).toContain('is `npm start` running? Start it in another terminal, or set MONGODB_URI');
      expect(run.ms).toBeLessThan(seconds);
      noStackTrace(run.stderr);
    }
  }, 60_000);

  it('says so up front when there is neither a running `npm start` nor MONGODB_URI', async () => {
    const run = await runScript('pay.ts', ['pay_0123456789abcdef01234567'], { DATA_DIR: noStack });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^pay: no running `npm start` found and MONGODB_URI is not set, so trying the default local services; is `npm start` running\?/);
  });

  it('create-admin names Redis when only Redis is down', async () => {
    const run = await runScript('create-admin.ts', ['--email', 'ops@example.com'], {
      DATA_DIR: noStack, MONGODB_URI: process.env.MONGODB_URI!, DB_PREFIX: `cli${Date.now()}_`, REDIS_URL: `redis://127.0.0.1:${closedPort}`, ADMIN_PASSWORD: 'a long admin passphrase 42',
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(new RegExp(`^create-admin: cannot reach Redis at redis://127\\.0\\.0\\.1:${closedPort} .*: is \`npm start\` running\\?`));
    expect(run.ms).toBeLessThan(seconds);
  });

  it('create-admin refuses --password with its usage line (exit 1), not Node\'s argument-parser text, and never echoes the value', async () => {
    const run = await runScript('create-admin.ts', ['--email', 'ops@example.com', '--password', 'visible-in-ps'], { DATA_DIR: noStack });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('create-admin: --password is refused: the password comes from ADMIN_PASSWORD or the prompt');
    expect(run.stderr).toContain('usage: [ADMIN_PASSWORD=...] npm run create-admin -- --email <email>');
    expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify a positional argument/);
    expect(run.stderr).not.toContain('visible-in-ps');
  });
});

describe('command-line scripts use the services the running `npm start` chose', () => {
  let stack: TestStack;
  let stackDir: string;
  const inbox = 'http://127.0.0.1:8025';

  /** What `npm start` records in <DATA_DIR>/stack-env.json; this test process stands in for it (a live pid). */
  function recordStack(env: Record<string, string>) {
    writeFileSync(path.join(stackDir, 'stack-env.json'), JSON.stringify({ pid: process.pid, env }));
  }

  beforeAll(async () => {
    stack = await startStack();
    stackDir = mkdtempSync(path.join(os.tmpdir(), 'cli-stack-'));
    recordStack({ MONGODB_URI: process.env.MONGODB_URI!, REDIS_URL: stack.config.redisUrl, STRIPE_WEBHOOK_SECRET: stack.config.stripe.webhookSecret, MAILPIT_URL: inbox });
  });
  afterAll(async () => {
    await stack?.stop();
    if (stackDir) rmSync(stackDir, { recursive: true, force: true });
  });

  it('register-operations writes the safelist into the recorded Redis, with no REDIS_URL set', async () => {
    const ops = path.join(stackDir, 'ops');
    mkdirSync(ops);
    writeFileSync(path.join(ops, 'hello.graphql'), 'query Hello { __typename }\n');
    const queuePrefix = `${stack.config.queuePrefix}-cli`;
    const run = await runScript('register-operations.ts', [ops], { DATA_DIR: stackDir, QUEUE_PREFIX: queuePrefix });
    expect(run).toMatchObject({ code: 0 });
    const manifest = JSON.parse(run.stdout.trim().split('\n').pop()!);
    const redis = new Redis(stack.config.redisUrl);
    try {
      expect(await redis.hkeys(`${queuePrefix}:pq:safelist`)).toContain(manifest.Hello);
    } finally {
      await redis.quit();
    }
  });

  it('pay, once applied, says where the customer\'s email can be read (the Mailpit inbox npm start runs)', async () => {
    const payment = await seedPayment(stack);
    const run = await runScript('pay.ts', [payment._id], { DATA_DIR: stackDir, DB_PREFIX: stack.config.dbPrefix, PAYMENTS_URL: stack.config.peers.payments });
    expect(run.code).toBe(0);
    expect((await loadPayment(stack, payment._id)).status).toBe('SUCCEEDED');
    expect(run.stdout).toContain(`the customer's email about it arrives in a few seconds in the Mailpit inbox: ${inbox}`);
  });
});
