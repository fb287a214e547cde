import { newId } from '../subgraphs/lib/ids';
import { createLogger } from '../subgraphs/lib/logger';
import { startReservationSweep, sweepReservations } from '../subgraphs/products/reservation-sweep';
import { inventoryHarness } from './support/inventory';

/**
 * A hold's expiry job lives in Redis, which can lose it. The products worker's sweep ends, from the
 * stored reservations, every hold past its expiry, so no stock stays held for good.
 */
describe('a checkout hold whose expiry job was lost still ends', () => {
  const h = inventoryHarness();
  const { aProduct, stockOf, reserve, reservationDoc } = h;
  const deps = () => h.stack.products.deps;
  const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000);

  it('ends holds overdue by more than the grace, leaves the others, and a second pass changes nothing', async () => {
    const productId = await aProduct(5);
    const overdue = newId('reservation');
    const current = newId('reservation');
    await reserve({ reservationId: overdue, lines: [{ productId, quantity: 2 }], ttlSeconds: 600 });
    await reserve({ reservationId: current, lines: [{ productId, quantity: 1 }], ttlSeconds: 3600 });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 3, available: 2 });

    // As if 12 minutes passed and the expiry job of `overdue` was never run: 10 min TTL + 1 min grace.
    const first = await sweepReservations(deps().inventory, deps().reservations, { now: minutesFromNow(12), graceMs: 60_000 });
    expect(first).toEqual({ found: 1, expired: 1 });
    expect((await reservationDoc(overdue))?.status).toBe('EXPIRED');
    expect((await reservationDoc(current))?.status).toBe('HELD');
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 1, available: 4 });

    expect(await sweepReservations(deps().inventory, deps().reservations, { now: minutesFromNow(12), graceMs: 60_000 })).toEqual({ found: 0, expired: 0 });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 1, available: 4 });
  });

  it('runs on its own: a hold already past its expiry is given back within an interval', async () => {
    const productId = await aProduct(3);
    const reservationId = newId('reservation');
    await reserve({ reservationId, lines: [{ productId, quantity: 3 }], ttlSeconds: 600 });
    await deps().reservations.updateOne({ _id: reservationId }, { $set: { expiresAt: minutesFromNow(-5) } });
    const sweep = startReservationSweep(deps().inventory, deps().reservations, { graceMs: 60_000, intervalMs: 200 }, createLogger('test', 'error'));
    try {
      await h.eventually(() => stockOf(productId), (s) => s.reserved === 0);
    } finally {
      await sweep.stop();
    }
    expect((await reservationDoc(reservationId))?.status).toBe('EXPIRED');
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
  });
});
