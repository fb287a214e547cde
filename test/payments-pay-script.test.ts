import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadPayment, seedPayment } from './support/payments';
import { startStack, type TestStack } from './support/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

/** `npm run pay` completes a checkout without a Stripe account, through the real webhook endpoint. */
describe('npm run pay', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const pay = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/pay.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: path.join(ROOT, '.data-none'), PAYMENTS_URL: stack.config.peers.payments, DB_PREFIX: stack.config.dbPrefix, STRIPE_WEBHOOK_SECRET: stack.config.stripe.webhookSecret, NODE_ENV: 'development' },
    });

  it('marks a pending payment succeeded with a signed webhook', async () => {
    const payment = await seedPayment(stack);
    const { stdout } = await pay(payment._id);
    expect(stdout).toMatch(/payment_intent\.succeeded .* HTTP 200/);
    expect((await loadPayment(stack, payment._id)).status).toBe('SUCCEEDED');
  });

  it('can report a failed payment instead', async () => {
    const payment = await seedPayment(stack);
    await pay(payment._id, 'failed');
    expect((await loadPayment(stack, payment._id)).status).toBe('FAILED');
  });

  it('exits 1, saying so, for a payment id nobody knows', async () => {
    await expect(pay('pay_0123456789abcdef01234567')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/no payment pay_0123456789abcdef01234567/) });
  });

  it('exits with usage help for a malformed payment id', async () => {
    await expect(pay('not-a-payment')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/usage: npm run pay/) });
  });
});
