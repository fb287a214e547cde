/**
 * `npm run register-operations -- <dir or .graphql files>…`: registers the operations a frontend
 * uses in the gateway's safelist (Redis hash `${QUEUE_PREFIX}:pq:safelist`, sha256 → query text),
 * read by every gateway instance. With PERSISTED_QUERIES_SAFELIST=true only these run. Each
 * operation is stored with the fragments it uses, printed by graphql-js; a file holding a single
 * operation is also stored verbatim. Prints one line per operation and a JSON manifest
 * ({ operationName: sha256 }) a client can send as `extensions.persistedQuery.sha256Hash`.
 * Uses the Redis and QUEUE_PREFIX of the running `npm start`, else REDIS_URL / QUEUE_PREFIX (the
 * gateway's). Add `--dry-run` to print without writing. Exits 1 within seconds when Redis does not answer.
 */
import { z } from 'zod';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { operationsFromPaths, Safelist, safelistKey } from '../gateway/src/persisted-queries';
import { connectRedisForCli, loadStackEnv } from './backing/stack-env';

const envSchema = z.object({
  REDIS_URL: z.string().regex(/^rediss?:\/\//).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().min(1).default('commerce'),
});

async function main() {
  const args = process.argv.slice(2);
  const dryRun = args.includes('--dry-run');
  const paths = args.filter((a) => a !== '--dry-run');
  if (!paths.length) {
    process.stderr.write('usage: npm run register-operations -- [--dry-run] <dir or .graphql file>…\n');
    process.exit(2);
  }
  const operations = operationsFromPaths(paths);
  if (!operations.length) throw new Error(`no operations found in ${paths.join(', ')}`);
  for (const op of operations) process.stdout.write(`${op.hash}  ${op.name}  (${op.file})\n`);
  if (!dryRun) {
    const foundStack = loadStackEnv();
    const env = parseEnvOrExit(envSchema);
    const redis = await connectRedisForCli(env.REDIS_URL, foundStack);
    try {
      await new Safelist(redis, safelistKey(env.QUEUE_PREFIX)).register(operations.map((o) => ({ hash: o.hash, text: o.text })));
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
    process.stdout.write(`registered ${operations.length} entries in ${safelistKey(env.QUEUE_PREFIX)}\n`);
  }
  // The printed form is what clients should hash; the first entry per name is that form.
  const manifest: Record<string, string> = {};
  for (const op of operations) manifest[op.name] ??= op.hash;
  process.stdout.write(`${JSON.stringify(manifest)}\n`);
}

main().catch((err) => {
  process.stderr.write(`register-operations: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
