import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startStack, type TestStack } from './support/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

/** `npm run create-admin` makes the first admin without a password on the command line. */
describe('npm run create-admin', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const createAdmin = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: path.join(ROOT, '.data-none'), DB_PREFIX: stack.config.dbPrefix, QUEUE_PREFIX: stack.config.queuePrefix, JWT_SECRET: stack.config.jwtSecret, NODE_ENV: 'development', ...env },
    });

  it('takes the password from ADMIN_PASSWORD, and the admin can sign in', async () => {
    const email = `ops.${Date.now()}@example.com`;
    await createAdmin(['--email', email, '--name', 'Ops'], { ADMIN_PASSWORD: 'a long admin passphrase 42' });
    const res = await stack.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { customer { role } } }`, { e: email, p: 'a long admin passphrase 42' });
    expect(res.data.login.customer.role).toBe('ADMIN');
  });

  it('refuses a password on the command line and exits non-zero', async () => {
    await expect(createAdmin(['--email', 'x@example.com', '--password', 'visible-in-ps'])).rejects.toMatchObject({ code: 1 });
  });
});
