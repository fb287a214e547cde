import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type Stripe from 'stripe';
import { z } from 'zod';
import { BadUserInputError, PaymentFailedError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import type { InternalCall } from '../lib/internal-client';
import type { Logger } from '../lib/logger';
import { addressSnapshotSchema, type AddressSnapshot, type LineSnapshot, type TypedQueue, type inventoryCommandsQueue } from '../lib/queues';
import { CART_LIMITS, cartLineInputSchema, type CartStore } from './cart';
import type { PaymentDoc } from './model';
import { pendingPayment } from './pending-payment';
import { stripeFailure } from './stripe-client';

/** The client sends products and quantities only: there is no price field to send. */
export const checkoutInputSchema = z.object({
  shippingAddressId: z.string().trim().min(1, 'is required').max(64),
  lines: z.array(cartLineInputSchema).min(1, 'must not be empty').max(CART_LIMITS.maxLines).optional(),
  idempotencyKey: z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only').optional(),
});
export type CheckoutInput = z.infer<typeof checkoutInputSchema>;

export const RESERVATION_TTL_SECONDS = 900;

const RESERVE_STOCK = `mutation ReserveStock($input: ReserveStockInput!) {
  reserveStock(input: $input) { id status expiresAt lines { productId name sku unitPriceCents currency quantity } }
}`;
const RELEASE_RESERVATION = `mutation ReleaseReservation($reservationId: ID!) { releaseReservation(reservationId: $reservationId) { id status } }`;
const SHIPPING_ADDRESS = `query ShippingAddressForCheckout($customerId: ID!, $addressId: ID!) {
  shippingAddressForCheckout(customerId: $customerId, addressId: $addressId) { name line1 line2 city postalCode region country }
}`;

interface ReservedLine extends LineSnapshot {
  currency: string;
}

export interface CheckoutDeps {
  payments: Model<PaymentDoc>;
  carts: CartStore;
  stripe: Stripe;
  publishableKey: string;
  products: InternalCall;
  customers: InternalCall;
  /** Fallback when releasing a reservation synchronously fails. */
  inventoryQueue: TypedQueue<typeof inventoryCommandsQueue.schema>;
  logger: Logger;
}

export interface CheckoutResult {
  payment: PaymentDoc;
  clientSecret: string;
  publishableKey: string;
}

/** Same product twice in the input becomes one line. */
function mergeLines(lines: Array<{ productId: string; quantity: number }>) {
  const merged = new Map<string, number>();
  for (const l of lines) merged.set(l.productId, (merged.get(l.productId) ?? 0) + l.quantity);
  for (const [productId, quantity] of merged) {
    if (quantity > CART_LIMITS.maxQuantity) throw new BadUserInputError(`input.lines: at most ${CART_LIMITS.maxQuantity} of one product`, ['input', 'lines'], { productId });
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

const nullsToUndefined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

export function createCheckoutService(deps: CheckoutDeps) {
  async function releaseReservation(reservationId: string, requestId: string): Promise<void> {
    try {
      await deps.products(RELEASE_RESERVATION, { reservationId });
    } catch (err) {
      deps.logger.warn('releasing the reservation synchronously failed; queueing a release', { reservationId, error: String(err) });
      const command = { command: 'release' as const, reservationId, reason: 'checkout-failed', requestId };
      await deps.inventoryQueue.publish(command).catch((e: unknown) =>
        deps.logger.error('could not queue the release either; the reservation will expire', { reservationId, error: String(e) }),
      );
    }
  }

  /**
   * Creates (or, on a retry, finds again: same idempotency key) the Stripe intent for a payment.
   * Only the request that created the payment gives up on it when Stripe fails; a concurrent
   * retry just reports the failure, so it cannot undo a checkout that is still going through.
   */
  async function ensureIntent(payment: PaymentDoc, requestId: string, createdHere: boolean): Promise<CheckoutResult> {
    let intent: Stripe.PaymentIntent;
    try {
      intent = payment.intentId
        ? await deps.stripe.paymentIntents.retrieve(payment.intentId)
        : await deps.stripe.paymentIntents.create(
            {
              amount: payment.amountCents,
              currency: payment.currency.toLowerCase(),
              metadata: { paymentId: payment._id, customerId: payment.customerId },
              automatic_payment_methods: { enabled: true },
            },
            { idempotencyKey: `payment-intent-${payment._id}` },
          );
    } catch (err) {
      if (!createdHere) throw new PaymentFailedError('The payment provider could not be reached; try again', { paymentId: payment._id, ...stripeFailure(err).details });
      return failBeforeIntent(payment, err, requestId);
    }
    if (payment.intentId) return checkoutResult(payment, intent);
    // Saved only if no concurrent retry saved one first; with Stripe both got the same intent
    // anyway (the intent's idempotency key is derived from the payment id).
    const saved = await deps.payments.findOneAndUpdate({ _id: payment._id, intentId: { $exists: false } }, { $set: { intentId: intent.id } }, { new: true }).lean<PaymentDoc>();
    return checkoutResult(saved ?? ((await deps.payments.findById(payment._id).lean<PaymentDoc>()) ?? payment), intent);
  }

  function checkoutResult(payment: PaymentDoc, intent: Stripe.PaymentIntent): CheckoutResult {
    return { payment, clientSecret: intent.client_secret ?? '', publishableKey: deps.publishableKey };
  }

  /**
   * Stripe refused to start the payment: give the stock back, and mark the payment FAILED under a
   * retired idempotency key so the client may retry with the same key and get a fresh attempt.
   * Nothing is published: no money moved and the reservation is released here.
   */
  async function failBeforeIntent(payment: PaymentDoc, err: unknown, requestId: string): Promise<never> {
    const failure = stripeFailure(err);
    deps.logger.warn('Stripe refused to create a payment intent', { paymentId: payment._id, error: String(err) });
    await releaseReservation(payment.reservationId, requestId);
    await deps.payments.updateOne(
      { _id: payment._id, status: 'PENDING' },
      { $set: { status: 'FAILED', failureReason: failure.message, idempotencyKey: `${payment.idempotencyKey}#failed-${payment._id}` } },
    );
    throw new PaymentFailedError(`The payment could not be started: ${failure.message}`, { paymentId: payment._id, ...failure.details });
  }

  async function checkout(customerId: string, input: CheckoutInput, requestId: string): Promise<CheckoutResult> {
    if (input.idempotencyKey) {
      const existing = await deps.payments.findOne({ customerId, idempotencyKey: input.idempotencyKey }).lean<PaymentDoc>();
      if (existing) return ensureIntent(existing, requestId, false);
    }
    const fromCart = !input.lines;
    const wanted = mergeLines(input.lines ?? (await deps.carts.get(customerId)).lines);
    if (wanted.length === 0) throw new BadUserInputError('input.lines: your cart is empty; add products or pass lines', ['input', 'lines']);

    const { shippingAddressForCheckout } = await deps.customers<{ shippingAddressForCheckout: AddressSnapshot }>(SHIPPING_ADDRESS, { customerId, addressId: input.shippingAddressId });
    const shippingAddress = addressSnapshotSchema.parse(nullsToUndefined(shippingAddressForCheckout));

    const paymentId = newId('payment');
    const reservationId = newId('reservation');
    // Prices and stock come from the catalog now; CONFLICT (insufficient stock) reserves nothing.
    const { reserveStock } = await deps.products<{ reserveStock: { id: string; lines: ReservedLine[] } }>(RESERVE_STOCK, {
      input: { reservationId, lines: wanted, ttlSeconds: RESERVATION_TTL_SECONDS },
    });
    const lines: LineSnapshot[] = reserveStock.lines.map((l) => ({ productId: l.productId, name: l.name, sku: l.sku, unitPriceCents: l.unitPriceCents, quantity: l.quantity }));

    let payment: PaymentDoc;
    try {
      const created = await deps.payments.create(
        pendingPayment({
          paymentId,
          customerId,
          idempotencyKey: input.idempotencyKey ?? `auto-${randomUUID()}`,
          lines,
          currency: reserveStock.lines[0].currency,
          reservationId: reserveStock.id,
          shippingAddress,
        }),
      );
      payment = created.toObject() as PaymentDoc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // A concurrent retry with the same key won: give our hold back and answer with its payment.
      await releaseReservation(reservationId, requestId);
      const winner = await deps.payments.findOne({ customerId, idempotencyKey: input.idempotencyKey }).lean<PaymentDoc>();
      if (!winner) throw err;
      return ensureIntent(winner, requestId, false);
    }
    const result = await ensureIntent(payment, requestId, true);
    if (fromCart) await deps.carts.clear(customerId).catch((err) => deps.logger.warn('could not clear the cart after checkout', { error: String(err) }));
    return result;
  }

  return { checkout };
}
