import { linesTotalCents, pendingPayment } from './pending-payment';

const line = (unitPriceCents: number, quantity: number) => ({ productId: 'prod_1', name: 'Lamp', sku: 'LAMP-1', unitPriceCents, quantity });

describe('a pending payment', () => {
  it('totals its lines in minor units and stores the currency upper-case', () => {
    const doc = pendingPayment({ paymentId: 'pay_1', customerId: 'cus_1', idempotencyKey: 'k1', lines: [line(1999, 3), line(1, 1)], currency: 'eur', reservationId: 'res_1' });
    expect(doc).toEqual({ _id: 'pay_1', customerId: 'cus_1', idempotencyKey: 'k1', status: 'PENDING', lines: [line(1999, 3), line(1, 1)], amountCents: 5998, currency: 'EUR', reservationId: 'res_1' });
  });

  it('keeps a shipping address and an intent only when given', () => {
    const address = { name: 'Ada', line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' };
    const doc = pendingPayment({ paymentId: 'pay_2', customerId: 'cus_1', idempotencyKey: 'k2', lines: [line(500, 1)], currency: 'USD', reservationId: 'res_2', shippingAddress: address, intentId: 'pi_1' });
    expect([doc.shippingAddress, doc.intentId]).toEqual([address, 'pi_1']);
  });

  it('refuses a total that integer cents could not hold exactly', () => {
    expect(() => linesTotalCents([line(Number.MAX_SAFE_INTEGER, 2)])).toThrow(RangeError);
  });
});
