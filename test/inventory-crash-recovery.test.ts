import { newId } from '../subgraphs/lib/ids';
import { createReservationEffects } from '../subgraphs/products/reservation-effects';
import { inventoryHarness } from './support/inventory';

describe('each stock change happens once, whatever is repeated or cut short', () => {
  const h = inventoryHarness();
  const { aProduct, stockOf, productDoc, reservationDoc, movementsOf, storedReservation, holdDirectly, reserve, commit, restockSold, errorOf, eventually } = h;

  it('changes stock once and logs each change once when every command is sent five times at once', async () => {
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    const input = { reservationId, lines: [{ productId, quantity: 2 }] };
    const five = <T>(call: () => Promise<T>) => Promise.all(Array.from({ length: 5 }, call));

    expect((await five(() => reserve(input))).map((r) => r.status)).toEqual(Array(5).fill('HELD'));
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 2, available: 3 });
    expect((await five(() => commit(reservationId))).map((r) => r.status)).toEqual(Array(5).fill('COMMITTED'));
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect((await five(() => restockSold(reservationId))).map((r) => r?.status)).toEqual(Array(5).fill('RELEASED'));
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });

    expect(await movementsOf(reservationId)).toEqual([`hold ${productId}`, `return ${productId}`, `sell ${productId}`]);
    expect(await productDoc(productId)).toMatchObject({ holds: [], returning: [] });
  });

  it('gives back the lines already held when a later line is short', async () => {
    const [a, b, c] = [await aProduct(5), await aProduct(5), await aProduct(1)];
    const reservationId = newId('reservation');
    const input = { reservationId, lines: [{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }, { productId: c, quantity: 2 }] };
    expect(await errorOf(reserve(input))).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: c } });
    for (const [id, onHand] of [[a, 5], [b, 5], [c, 1]] as const) expect(await stockOf(id)).toEqual({ onHand, reserved: 0, available: onHand });
    expect(await movementsOf(reservationId)).toEqual([`give-back ${a}`, `give-back ${b}`, `hold ${a}`, `hold ${b}`]);
    expect(await reservationDoc(reservationId)).toMatchObject({ status: 'FAILED', settled: true, shortProductId: c });
    // Repeating the call repeats the answer and changes nothing.
    expect(await errorOf(reserve(input))).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: c } });
    expect(await stockOf(a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it('completes a reserve that crashed half way through its holds when the call is repeated', async () => {
    const [a, b] = [await aProduct(5), await aProduct(5)];
    const reservationId = newId('reservation');
    const lines = [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }];
    await storedReservation(reservationId, lines, { status: 'PENDING' });
    await holdDirectly(a, reservationId, 2);

    expect(await reserve({ reservationId, lines })).toMatchObject({ status: 'HELD' });
    expect(await stockOf(a)).toEqual({ onHand: 5, reserved: 2, available: 3 });
    expect(await stockOf(b)).toEqual({ onHand: 5, reserved: 1, available: 4 });
    expect(await reservationDoc(reservationId)).toMatchObject({ status: 'HELD', settled: true });
  });

  it('gives back what a reserve that crashed right after finding a line short had held', async () => {
    const [a, b] = [await aProduct(5), await aProduct(1)];
    const reservationId = newId('reservation');
    const lines = [{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }];
    await storedReservation(reservationId, lines, { status: 'FAILED', settled: false, shortProductId: b });
    await holdDirectly(a, reservationId, 2);

    expect(await errorOf(reserve({ reservationId, lines }))).toMatchObject({ code: 'CONFLICT', details: { reason: 'INSUFFICIENT_STOCK', productId: b } });
    expect(await stockOf(a)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await reservationDoc(reservationId)).toMatchObject({ status: 'FAILED', settled: true });
  });

  it('sells the stock of a commit that crashed after its move, once, on the next commit', async () => {
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    await reserve({ reservationId, lines: [{ productId, quantity: 2 }] });
    await h.stack.products.deps.reservations.updateOne({ _id: reservationId }, { $set: { status: 'COMMITTED', settled: false } });

    expect(await commit(reservationId)).toMatchObject({ status: 'COMMITTED' });
    expect(await commit(reservationId)).toMatchObject({ status: 'COMMITTED' });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await reservationDoc(reservationId)).toMatchObject({ status: 'COMMITTED', settled: true });
  });

  it('lets the expiry job finish a release that crashed before giving the stock back', async () => {
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    await reserve({ reservationId, lines: [{ productId, quantity: 2 }], ttlSeconds: 1 });
    await h.stack.products.deps.reservations.updateOne({ _id: reservationId }, { $set: { status: 'RELEASED', settled: false } });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 2, available: 3 });

    expect(await eventually(() => stockOf(productId), (s) => s.available === 5)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await eventually(() => reservationDoc(reservationId), (r) => r.settled)).toMatchObject({ status: 'RELEASED', settled: true });
  });

  it('returns sold units once when a return crashed between the product write and recording it', async () => {
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    await reserve({ reservationId, lines: [{ productId, quantity: 2 }] });
    await commit(reservationId);
    await h.stack.products.deps.reservations.updateOne({ _id: reservationId }, { $set: { status: 'RETURNED', settled: false } });
    await h.stack.products.deps.products.updateOne({ _id: productId }, { $inc: { onHand: 2, available: 2 }, $push: { returning: { r: reservationId, t: 'crashed-writer' } } });

    expect(await restockSold(reservationId)).toMatchObject({ status: 'RELEASED' });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await productDoc(productId)).toMatchObject({ returning: [] });
    expect(await reservationDoc(reservationId)).toMatchObject({ status: 'RETURNED', settled: true, returned: [{ p: productId, t: 'crashed-writer' }] });
  });

  it('gives back a late duplicate hold that lands after the sale, and takes back a late duplicate return', async () => {
    const effects = createReservationEffects(h.stack.products.deps.models, h.stack.products.deps.stock);
    const productId = await aProduct(5);
    const reservationId = newId('reservation');
    await reserve({ reservationId, lines: [{ productId, quantity: 2 }] });
    const asReadBeforeItMoved = await reservationDoc(reservationId);
    await commit(reservationId);

    // A duplicate reserve that read the reservation while PENDING places its hold only now.
    await effects.placeHolds({ ...asReadBeforeItMoved, status: 'PENDING', settled: false });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await productDoc(productId)).toMatchObject({ holds: [] });

    // A duplicate restock that read it while still returning writes its return after the winner's.
    await restockSold(reservationId);
    await effects.finish({ ...(await reservationDoc(reservationId)), settled: false, returned: [] });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await productDoc(productId)).toMatchObject({ holds: [], returning: [] });
  });
});
