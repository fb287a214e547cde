import { rmSync } from 'node:fs';
import type { Backing } from '../../scripts/backing';

/** Stops the services global-setup started and removes their temporary data folder. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __backing?: Backing }).__backing?.stop();
  const dir = process.env.TEST_DATA_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
