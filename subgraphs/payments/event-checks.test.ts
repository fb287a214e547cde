import { disagreement } from './event-checks';

describe('a Stripe event must agree with the payment it names', () => {
  const payment = { _id: 'pay_1', intentId: 'pi_1', amountCents: 31_798, currency: 'USD' };

  it('accepts the intent, amount and currency of the payment (currency case-insensitive)', () => {
    expect(disagreement(payment, { intentId: 'pi_1', amountCents: 31_798, currency: 'usd' })).toBeNull();
  });

  it('refuses another intent, another currency or another amount, saying which', () => {
    expect(disagreement(payment, { intentId: 'pi_forged', amountCents: 31_798, currency: 'usd' })).toMatch(/intent pi_forged/);
    expect(disagreement(payment, { intentId: 'pi_1', amountCents: 31_798, currency: 'jpy' })).toMatch(/currency JPY/);
    expect(disagreement(payment, { intentId: 'pi_1', amountCents: 1, currency: 'usd' })).toMatch(/amount 1 is not 31798/);
  });

  it('checks only what the event carries once the intent is known', () => {
    expect(disagreement(payment, { intentId: 'pi_1' })).toBeNull();
  });

  describe('an intent the payment has not saved yet', () => {
    const unsaved = { ...payment, intentId: undefined };
    const facts = { intentId: 'pi_new', amountCents: 31_798, currency: 'usd' };

    it('is accepted only when the event proves it is ours: its metadata names this payment, with the same amount and currency', () => {
      expect(disagreement(unsaved, { ...facts, paymentId: 'pay_1' })).toBeNull();
    });

    it('is refused when the metadata names no payment or another one', () => {
      expect(disagreement(unsaved, facts)).toMatch(/intent pi_new .*metadata/);
      expect(disagreement(unsaved, { ...facts, paymentId: 'pay_2' })).toMatch(/intent pi_new .*metadata/);
    });

    it('is refused when the event carries no amount or currency to compare, or another one', () => {
      expect(disagreement(unsaved, { intentId: 'pi_new', currency: 'usd', paymentId: 'pay_1' })).toMatch(/intent pi_new .*amount and currency/);
      expect(disagreement(unsaved, { intentId: 'pi_new', amountCents: 31_798, paymentId: 'pay_1' })).toMatch(/intent pi_new .*amount and currency/);
      expect(disagreement(unsaved, { ...facts, amountCents: 1, paymentId: 'pay_1' })).toMatch(/amount 1 is not 31798/);
    });
  });
});
