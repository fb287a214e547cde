import Stripe from 'stripe';
import type { Queue } from 'bullmq';
import { buildChargeRefundedEvent, buildIntentEvent, webhookUrlFor, type SimulatedEvent } from '../subgraphs/payments/simulated-webhooks';
import { saveIntentIfProven } from '../subgraphs/payments/event-checks';
import { deliver, loadPayment, publishedResults, resultsQueue, seedPayment } from './support/payments';
import { startStack, type TestStack } from './support/stack';

const FLAGGED = `query Flagged { payments(filter: { needsReview: true }, first: 100) { edges { node { id status reviewFlags { eventId type reason } } } } }`;

/**
 * Whoever can sign a webhook (a leaked secret) must still not turn one cent into a paid order:
 * an event that names our payment with another intent, amount or currency changes nothing and is
 * put in front of an admin. Malformed deliveries are client errors, never 500s.
 */
describe('a signed webhook that disagrees with its payment is flagged, never applied', () => {
  let stack: TestStack;
  let queue: Queue;

  beforeAll(async () => {
    stack = await startStack();
    queue = resultsQueue(stack.config.redisUrl, stack.config.queuePrefix);
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.stop();
  });

  it.each([
    ['an amount of 1', { amountCents: 1 }, /amount 1 is not 3000/],
    ['another currency', { currency: 'jpy' }, /currency JPY is not USD/],
    ['a made-up intent', { intentId: 'pi_madeup' }, /intent pi_madeup/],
  ])('a success with %s leaves the payment PENDING, publishes nothing and flags it for admins', async (_label, override, reason) => {
    const payment = await seedPayment(stack);
    const event = buildIntentEvent({ payment, outcome: 'succeeded', override });
    const res = await deliver(stack, event);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'mismatch', paymentId: payment._id });
    // Redelivered: still one flag.
    expect((await deliver(stack, event)).body).toMatchObject({ outcome: 'duplicate' });

    const after = await loadPayment(stack, payment._id);
    expect(after.status).toBe('PENDING');
    expect(after.outbox).toEqual([]);
    expect(await publishedResults(queue, payment._id)).toHaveLength(0);
    expect(after.reviewFlags).toHaveLength(1);

    const admin = await stack.gql(FLAGGED, {}, { token: await stack.tokenFor('cus_admin', 'ADMIN') });
    const seen = admin.data.payments.edges.map((e: { node: { id: string } }) => e.node).find((n: { id: string }) => n.id === payment._id);
    expect(seen).toEqual({ id: payment._id, status: 'PENDING', reviewFlags: [{ eventId: event.id, type: 'payment_intent.succeeded', reason: expect.stringMatching(reason) }] });
    const owner = await stack.gql(`query($id: ID!) { payment(id: $id) { reviewFlags { reason } } }`, { id: payment._id }, { token: await stack.tokenFor(payment.customerId) });
    expect(owner.data.payment.reviewFlags).toBeNull();
  });

  it('applies the same success once it matches the intent, amount and currency', async () => {
    const payment = await seedPayment(stack);
    expect((await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }))).body).toMatchObject({ outcome: 'applied' });
    expect((await loadPayment(stack, payment._id)).status).toBe('SUCCEEDED');
  });

  it('flags a refund reported for another currency instead of recording it', async () => {
    const payment = await seedPayment(stack);
    await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }));
    const res = await deliver(stack, buildChargeRefundedEvent({ payment, amountRefundedCents: 3000, override: { currency: 'eur' } }));
    expect(res.body).toMatchObject({ outcome: 'mismatch' });
    expect((await loadPayment(stack, payment._id))).toMatchObject({ status: 'SUCCEEDED', refundedCents: 0 });
  });

  describe('a payment whose intent id was never saved (checkout stopped between Stripe and our write)', () => {
    const intentOf = (event: SimulatedEvent) => (event.data.object as { id: string }).id;

    it('takes the intent of a success whose metadata names it with the same amount and currency, and saves it', async () => {
      const payment = await seedPayment(stack, { intentId: undefined });
      const event = buildIntentEvent({ payment, outcome: 'succeeded' });
      expect((await deliver(stack, event)).body).toMatchObject({ outcome: 'applied', paymentId: payment._id });
      expect(await loadPayment(stack, payment._id)).toMatchObject({ status: 'SUCCEEDED', intentId: intentOf(event) });
      // From now on another intent is refused, as for any payment.
      const other = buildIntentEvent({ payment, outcome: 'succeeded', override: { intentId: 'pi_another' } });
      expect((await deliver(stack, other)).body).toMatchObject({ outcome: 'mismatch' });
    });

    it('saves no intent from an event that disagrees on the amount', async () => {
      const payment = await seedPayment(stack, { intentId: undefined });
      expect((await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded', override: { amountCents: 1 } }))).body).toMatchObject({ outcome: 'mismatch' });
      const after = await loadPayment(stack, payment._id);
      expect(after.status).toBe('PENDING');
      expect(after.intentId).toBeUndefined();
    });

    it('takes one of two intents delivered at once and flags the other', async () => {
      const payment = await seedPayment(stack, { intentId: undefined });
      const events = [buildIntentEvent({ payment, outcome: 'failed' }), buildIntentEvent({ payment, outcome: 'failed' })];
      const outcomes = (await Promise.all(events.map((e) => deliver(stack, e)))).map((r) => (r.body as { outcome: string }).outcome);
      expect(outcomes.sort()).toEqual(['applied', 'mismatch']);
      const after = await loadPayment(stack, payment._id);
      expect(after).toMatchObject({ status: 'FAILED', intentId: expect.stringMatching(/^pi_/) });
      expect(events.map(intentOf)).toContain(after.intentId);
      expect(after.reviewFlags.map((f) => f.eventId)).toEqual([events.find((e) => intentOf(e) !== after.intentId)!.id]);
    });

    it('saves an intent only while none is saved: of two concurrent claims exactly one wins', async () => {
      const payment = await seedPayment(stack, { intentId: undefined });
      const facts = (intentId: string) => ({ intentId, paymentId: payment._id, amountCents: payment.amountCents, currency: 'usd' });
      const [a, b] = await Promise.all(['pi_claim_a', 'pi_claim_b'].map((id) => saveIntentIfProven(stack.payments.deps.payments, payment, facts(id))));
      const saved = (await loadPayment(stack, payment._id)).intentId;
      expect(['pi_claim_a', 'pi_claim_b']).toContain(saved);
      const [won, lost] = saved === 'pi_claim_a' ? [a, b] : [b, a];
      expect(won).toMatchObject({ payment: { intentId: saved } });
      expect(lost).toEqual({ reason: expect.stringMatching(/is not this payment's intent/) });
      // The winner's intent, claimed again (a redelivery), is still ours.
      expect(await saveIntentIfProven(stack.payments.deps.payments, payment, facts(saved!))).toMatchObject({ payment: { intentId: saved } });
    });
  });

  async function post(event: unknown, opts: { timestamp?: number } = {}) {
    const payload = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: stack.config.stripe.webhookSecret, ...(opts.timestamp ? { timestamp: opts.timestamp } : {}) });
    const res = await fetch(webhookUrlFor(stack.config.peers.payments), { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('answers a correctly signed null body with 400, not 500', async () => {
    const res = await post(null);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a signature timestamped in the future', async () => {
    const payment = await seedPayment(stack);
    const res = await post(buildIntentEvent({ payment, outcome: 'succeeded' }), { timestamp: Math.floor(Date.now() / 1000) + 3600 });
    expect(res.status).toBe(400);
    expect((await loadPayment(stack, payment._id)).status).toBe('PENDING');
  });

  it('answers an event whose ids are not strings with 400, and never queries with an object from a body', async () => {
    const payment = await seedPayment(stack);
    const event = buildIntentEvent({ payment, outcome: 'succeeded' }) as SimulatedEvent;
    expect((await post({ ...event, id: { $gt: '' } })).status).toBe(400);
    expect((await post({ ...event, data: { object: { ...event.data.object, id: { $ne: null } } } })).status).toBe(400);
    expect((await loadPayment(stack, payment._id)).status).toBe('PENDING');
    // An operator in metadata is not a payment id: ignored, the payment is found by its intent alone.
    const injected = await post({ ...event, data: { object: { ...event.data.object, metadata: { paymentId: { $ne: null } } } } });
    expect(injected.body).toMatchObject({ outcome: 'applied', paymentId: payment._id });
  });
});
