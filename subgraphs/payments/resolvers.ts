import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { z } from 'zod';
import { AppError, ForbiddenError, parseInput } from '../lib/errors';
import { canAccessOwned, isAdmin, requireAdmin, requireOwnerOrAdmin, requireSignedIn, type AuthContext } from '../lib/guards';
import type { BaseContext } from '../lib/subgraph-server';
import { addToCartSchema, ensureProductOnSale, removeFromCartSchema, setQuantitySchema } from './cart';
import { checkoutInputSchema } from './checkout';
import { applyChange } from './ledger';
import { listPayments, pageSchema, paymentFilterSchema } from './listing';
import type { CartDoc, PaymentDoc } from './model';
import { refundPayment } from './refunds';
import type { PaymentsDeps } from './service';
import { deliverWebhook, buildIntentEvent, webhookUrlFor, type SimulatedIntentOutcome } from './simulated-webhooks';
import { changeFromIntentStatus } from './stripe-events';
import { stripeFailure } from './stripe-client';
import { PaymentFailedError } from '../lib/errors';

export interface PaymentsContext extends BaseContext, AuthContext {
  paymentById: DataLoader<string, PaymentDoc | null>;
  deps: PaymentsDeps;
}

async function visiblePayment(ctx: PaymentsContext, id: string): Promise<PaymentDoc> {
  const doc = await ctx.paymentById.load(id);
  if (!doc || !canAccessOwned(ctx, doc.customerId)) throw new ForbiddenError();
  return doc;
}

/** Loads a payment the caller owns (or any, for admins), fresh from the database. */
async function ownedPayment(ctx: PaymentsContext, id: string): Promise<PaymentDoc> {
  const doc = await ctx.deps.models.payments.findById(id).lean<PaymentDoc>();
  requireOwnerOrAdmin(ctx, doc?.customerId);
  return doc!;
}

const idArg = z.string().trim().min(1).max(64);
const refundArgs = z.object({
  paymentId: idArg,
  amountCents: z.number().int('must be a whole number of minor units').positive('must be positive').nullish(),
  idempotencyKey: z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/),
});
const simulateArgs = z.object({ paymentId: idArg, outcome: z.enum(['SUCCEEDED', 'FAILED', 'CANCELED']) });
const listArgs = pageSchema.extend({ after: pageSchema.shape.after.nullish().transform((v) => v ?? undefined) });

const nullToUndefined = <T extends Record<string, unknown>>(o: T | null | undefined) => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== null));

export const resolvers: GraphQLResolverMap<PaymentsContext> = {
  Query: {
    payment: (_: unknown, args: { id: string }, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      return visiblePayment(ctx, args.id);
    },
    myPayments: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      return listPayments(ctx.deps.models.payments, { customerId }, parseInput(listArgs, args));
    },
    payments: (_: unknown, args: { filter?: Record<string, unknown> | null; first?: number; after?: string | null }, ctx: PaymentsContext) => {
      requireAdmin(ctx);
      const filter = parseInput(paymentFilterSchema, nullToUndefined(args.filter), ['filter']);
      return listPayments(ctx.deps.models.payments, filter, parseInput(listArgs, { first: args.first, after: args.after }));
    },
    cart: (_: unknown, __: unknown, ctx: PaymentsContext) => ctx.deps.carts.get(requireSignedIn(ctx).customerId),
  },
  Mutation: {
    checkout: async (_: unknown, args: { input: unknown }, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      const input = parseInput(checkoutInputSchema, nullToUndefined(args.input as Record<string, unknown>), ['input']);
      return ctx.deps.checkout.checkout(customerId, input, ctx.requestId);
    },
    confirmPayment: async (_: unknown, args: { paymentId: string }, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      const payment = await ownedPayment(ctx, parseInput(idArg, args.paymentId, ['paymentId']));
      if (!payment.intentId) return payment;
      let intent;
      try {
        intent = await ctx.deps.stripe.paymentIntents.retrieve(payment.intentId);
      } catch (err) {
        throw new PaymentFailedError(`Could not ask the payment provider: ${stripeFailure(err).message}`);
      }
      const change = changeFromIntentStatus(intent);
      if (!change) return payment;
      return (await applyChange(ctx.deps, payment._id, change, { occurredAt: new Date(), requestId: ctx.requestId, current: payment })).payment;
    },
    refundPayment: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      requireAdmin(ctx);
      const { paymentId, amountCents, idempotencyKey } = parseInput(refundArgs, args);
      return refundPayment(
        { ...ctx.deps, stripe: ctx.deps.stripe },
        { paymentId, amountCents: amountCents ?? undefined, key: `admin-${idempotencyKey}`, reason: 'admin', requestId: ctx.requestId },
      );
    },
    simulatePaymentWebhook: async (_: unknown, args: unknown, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      if (!ctx.deps.config.paymentSimulation) throw new ForbiddenError('Simulated payments are off (PAYMENT_SIMULATION)');
      const { paymentId, outcome } = parseInput(simulateArgs, args);
      const payment = await ownedPayment(ctx, paymentId);
      const event = buildIntentEvent({ payment, outcome: outcome.toLowerCase() as SimulatedIntentOutcome });
      const delivery = await deliverWebhook(webhookUrlFor(ctx.deps.config.peers.payments), event, ctx.deps.config.stripe.webhookSecret);
      if (delivery.status !== 200) throw new AppError('INTERNAL_SERVER_ERROR', `The webhook endpoint answered HTTP ${delivery.status}`);
      return ctx.deps.models.payments.findById(paymentId).lean<PaymentDoc>();
    },
    addToCart: async (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      const { productId, quantity } = parseInput(addToCartSchema, args);
      await ensureProductOnSale(ctx.deps.products, productId);
      return ctx.deps.carts.add(customerId, productId, quantity);
    },
    setCartItemQuantity: async (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      const { productId, quantity } = parseInput(setQuantitySchema, args);
      if (quantity > 0) await ensureProductOnSale(ctx.deps.products, productId);
      return ctx.deps.carts.setQuantity(customerId, productId, quantity);
    },
    removeFromCart: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      return ctx.deps.carts.remove(customerId, parseInput(removeFromCartSchema, args).productId);
    },
    clearCart: (_: unknown, __: unknown, ctx: PaymentsContext) => ctx.deps.carts.clear(requireSignedIn(ctx).customerId),
  },
  Payment: {
    __resolveReference: (ref: { id: string }, ctx: PaymentsContext) => visiblePayment(ctx, ref.id),
    id: (p: PaymentDoc) => p._id,
    customer: (p: PaymentDoc) => ({ __typename: 'Customer', id: p.customerId }),
    lines: (p: PaymentDoc) => p.lines,
    shippingAddress: (p: PaymentDoc) => p.shippingAddress ?? null,
    failureReason: (p: PaymentDoc) => p.failureReason ?? null,
    reviewFlags: (p: PaymentDoc, _: unknown, ctx: PaymentsContext) =>
      isAdmin(ctx) ? (p.reviewFlags ?? []).map((f) => ({ ...f, at: new Date(f.at).toISOString() })) : null,
    createdAt: (p: PaymentDoc) => new Date(p.createdAt).toISOString(),
    updatedAt: (p: PaymentDoc) => new Date(p.updatedAt ?? p.createdAt).toISOString(),
  },
  PaymentLine: {
    product: (l: { productId: string }) => ({ __typename: 'Product', id: l.productId }),
  },
  Cart: {
    id: (c: CartDoc) => c._id,
    totalQuantity: (c: CartDoc) => c.lines.reduce((n, l) => n + l.quantity, 0),
    updatedAt: (c: CartDoc) => new Date(c.updatedAt).toISOString(),
  },
  CartLine: {
    product: (l: { productId: string }) => ({ __typename: 'Product', id: l.productId }),
  },
};
