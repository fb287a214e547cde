/** `npm run tools`: builds the Go-based local services once into .cache/bin (FerretDB embed, stripe-mock). */
import { ensureFerretBinary } from './backing/mongo';
import { ensureStripeMockBinary } from './backing/stripe';

const log = (m: string) => process.stdout.write(`[tools] ${m}\n`);
ensureFerretBinary(log)
  .then((ferret) => {
    log(`ferretdb: ${ferret}`);
    log(`stripe-mock: ${ensureStripeMockBinary(log)}`);
  })
  .catch((err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
