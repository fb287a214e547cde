import { disagreement } from './event-checks';

describe('a Stripe event must agree with the payment it names', () => {
  const payment = { intentId: 'pi_1', amountCents: 31_798, currency: 'USD' };

  it('accepts the intent, amount and currency of the payment (currency case-insensitive)', () => {
    expect(disagreement(payment, { intentId: 'pi_1', amountCents: 31_798, currency: 'usd' })).toBeNull();
  });

  it('refuses another intent, another currency or another amount, saying which', () => {
    expect(disagreement(payment, { intentId: 'pi_forged', amountCents: 31_798, currency: 'usd' })).toMatch(/intent pi_forged/);
    expect(disagreement(payment, { intentId: 'pi_1', amountCents: 31_798, currency: 'jpy' })).toMatch(/currency JPY/);
    expect(disagreement(payment, { intentId: 'pi_1', amountCents: 1, currency: 'usd' })).toMatch(/amount 1 is not 31798/);
  });

  it('checks only what the event carries, and accepts an intent id the payment has not saved yet', () => {
    expect(disagreement(payment, { intentId: 'pi_1' })).toBeNull();
    expect(disagreement({ ...payment, intentId: undefined }, { intentId: 'pi_new', amountCents: 31_798, currency: 'usd' })).toBeNull();
  });
});
