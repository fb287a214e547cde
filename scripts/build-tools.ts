/** `npm run tools`: builds the local services once into .cache (the Java main around mongo-java-server, stripe-mock, Mailpit). */
import { ensureMailpitBinary } from './backing/mail';
import { ensureMongoServerBuild } from './backing/mongo';
import { ensureStripeMockBinary } from './backing/stripe';

const log = (m: string) => process.stdout.write(`[tools] ${m}\n`);
try {
  log(`mongo-server: ${ensureMongoServerBuild(log)}`);
  log(`stripe-mock: ${ensureStripeMockBinary(log)}`);
  log(`mailpit: ${ensureMailpitBinary(log)}`);
} catch (err) {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
}
