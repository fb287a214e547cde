import type { Backing } from '../../scripts/backing';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __backing?: Backing }).__backing?.stop();
}
