import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBackingServices } from '../../scripts/backing';

/**
 * Starts the real backing services once for the integration run: a MongoDB-compatible server
 * (mongo-java-server's memory backend here), a private redis-server on a free port (never the shared one), and stripe-mock.
 * Each test file then isolates itself with its own database names and queue prefix.
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'commerce-test-'));
  const log = (m: string) => process.stdout.write(`[test services] ${m}\n`);
  const backing = await ensureBackingServices({ dataDir, log, mongoStore: 'memory' });
  Object.assign(process.env, backing.env, { TEST_DATA_DIR: dataDir });
  (globalThis as { __backing?: typeof backing }).__backing = backing;
}
