/**
 * `npm run pay -- <paymentId> [succeeded|failed|canceled]`: complete a checkout without a Stripe
 * account. stripe-mock never sends webhooks, so this reads the payment (its intent, amount and
 * currency, which the webhook checks), signs a payment_intent event with the webhook secret,
 * exactly as Stripe would, and delivers it to the payments service's POST /webhooks/stripe
 * (found from the running `npm start`, or PAYMENTS_URL). Exits 1 if anything but "applied", and
 * within seconds, with a hint, when the database or the payments service does not answer.
 */
import mongoose from 'mongoose';
import { paymentModel } from '../subgraphs/payments/model';
import { baseEnvSchema, peersFromEnv, stripeFromEnv } from '../subgraphs/lib/config';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { buildIntentEvent, deliverWebhook, webhookUrlFor, type SimulatedIntentOutcome } from '../subgraphs/payments/simulated-webhooks';
import { loadStackEnvForCli, reach, reachMongo } from './backing/stack-env';

const OUTCOMES: SimulatedIntentOutcome[] = ['succeeded', 'failed', 'canceled'];
const USAGE = 'usage: npm run pay -- <paymentId> [succeeded|failed|canceled]   (default: succeeded)';

async function main(): Promise<number> {
  const [paymentId, outcomeArg = 'succeeded'] = process.argv.slice(2);
  const outcome = outcomeArg.toLowerCase() as SimulatedIntentOutcome;
  if (!paymentId || !/^pay_[0-9a-f]{24}$/.test(paymentId) || !OUTCOMES.includes(outcome)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const foundStack = loadStackEnvForCli('pay');
  const env = parseEnvOrExit(baseEnvSchema);
  if (env.NODE_ENV === 'production') {
    process.stderr.write('refusing to simulate payments with NODE_ENV=production\n');
    return 1;
  }
  const conn = await reachMongo(env.MONGODB_URI, foundStack, (serverSelectionTimeoutMS) =>
    mongoose.createConnection(env.MONGODB_URI, { dbName: `${env.DB_PREFIX}payments`, serverSelectionTimeoutMS }).asPromise(),
  );
  const payment = await paymentModel(conn).findById(paymentId).lean().finally(() => conn.close());
  if (!payment) {
    process.stderr.write(`no payment ${paymentId} in ${env.DB_PREFIX}payments (is this the database npm start uses?)\n`);
    return 1;
  }
  const url = webhookUrlFor(peersFromEnv(env).payments);
  const event = buildIntentEvent({ payment, outcome });
  const delivery = await reach({ service: 'the payments service', url, variables: 'PAYMENTS_URL', foundStack }, () => deliverWebhook(url, event, stripeFromEnv(env).webhookSecret));
  process.stdout.write(`${event.type} for ${paymentId} → ${url}: HTTP ${delivery.status} ${JSON.stringify(delivery.body)}\n`);
  const handled = (delivery.body as { outcome?: string } | null)?.outcome;
  if (delivery.status === 200 && handled === 'no-change') process.stderr.write(`payment ${paymentId} is ${payment.status}: nothing changed\n`);
  if (delivery.status !== 200 || handled !== 'applied') return 1;
  printWhereMailArrives();
  return 0;
}

/** A payment's result becomes a customer email a moment later: say where to read it. */
function printWhereMailArrives(): void {
  if (process.env.MAILPIT_URL) process.stdout.write(`the customer's email about it arrives in a few seconds in the Mailpit inbox: ${process.env.MAILPIT_URL}\n`);
  else if (process.env.SMTP_URL) process.stdout.write('the customer\'s email about it goes out through the SMTP server in SMTP_URL\n');
}

main()
  .then((code) => process.exit(code))
  .catch((err) => {
    process.stderr.write(`pay failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
