import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { isAdmin, requireAdmin, requireOwned, requireSignedIn } from '../lib/guards';
import { pageArgsSchema } from '../lib/pagination';
import type { SubgraphContext } from '../lib/subgraph-server';
import { addToCartSchema, removeFromCartSchema, setQuantitySchema } from './cart';
import { checkoutInputSchema } from './checkout';
import { paymentFilterSchema } from './listing';
import type { CartDoc, PaymentDoc } from './model';
import type { PaymentsDeps, PaymentsService } from './service';

/** The payments domain's services, built once in index.ts. */
export interface PaymentsServices {
  payments: PaymentsService;
  carts: PaymentsDeps['carts'];
  checkout: PaymentsDeps['checkout'];
}
export type PaymentsContext = SubgraphContext<{ paymentById: DataLoader<string, PaymentDoc | null> }, PaymentsServices>;

const idArg = z.string().trim().min(1).max(64);
const refundArgs = z.object({
  paymentId: idArg,
  amountCents: z.number().int('must be a whole number of minor units').positive('must be positive').nullish(),
  idempotencyKey: z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/),
});
const simulateArgs = z.object({ paymentId: idArg, outcome: z.enum(['SUCCEEDED', 'FAILED', 'CANCELED']) });

const nullToUndefined = <T extends Record<string, unknown>>(o: T | null | undefined) => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== null));

/** A payment the caller owns (or any, for admins), read fresh: the actions on it decide from its current state. */
async function ownedPayment(ctx: PaymentsContext, paymentId: string): Promise<PaymentDoc> {
  return requireOwned(ctx, await ctx.services.payments.find(paymentId));
}

export const resolvers: GraphQLResolverMap<PaymentsContext> = {
  Query: {
    payment: async (_: unknown, args: { id: string }, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      return requireOwned(ctx, await ctx.paymentById.load(args.id));
    },
    myPayments: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      return ctx.services.payments.list({ customerId }, parseInput(pageArgsSchema, args));
    },
    payments: (_: unknown, args: { filter?: unknown }, ctx: PaymentsContext) => {
      requireAdmin(ctx);
      const filter = parseInput(paymentFilterSchema, args.filter ?? {}, ['filter']);
      return ctx.services.payments.list(filter, parseInput(pageArgsSchema, args));
    },
    cart: (_: unknown, __: unknown, ctx: PaymentsContext) => ctx.services.carts.get(requireSignedIn(ctx).customerId),
  },
  Mutation: {
    checkout: async (_: unknown, args: { input: unknown }, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      const input = parseInput(checkoutInputSchema, nullToUndefined(args.input as Record<string, unknown>), ['input']);
      return ctx.services.checkout.checkout(customerId, input, ctx.requestId);
    },
    confirmPayment: async (_: unknown, args: { paymentId: unknown }, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      const payment = await ownedPayment(ctx, parseInput(idArg, args.paymentId, ['paymentId']));
      return ctx.services.payments.confirm(payment, ctx.requestId);
    },
    refundPayment: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      requireAdmin(ctx);
      const { paymentId, amountCents, idempotencyKey } = parseInput(refundArgs, args);
      return ctx.services.payments.refund({ paymentId, amountCents: amountCents ?? undefined, key: `admin-${idempotencyKey}`, reason: 'admin', requestId: ctx.requestId });
    },
    simulatePaymentWebhook: async (_: unknown, args: unknown, ctx: PaymentsContext) => {
      requireSignedIn(ctx);
      const { paymentId, outcome } = parseInput(simulateArgs, args);
      return ctx.services.payments.simulateWebhook(await ownedPayment(ctx, paymentId), outcome);
    },
    addToCart: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      const { productId, quantity } = parseInput(addToCartSchema, args);
      return ctx.services.carts.add(customerId, productId, quantity);
    },
    setCartLineQuantity: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      const { productId, quantity } = parseInput(setQuantitySchema, args);
      return ctx.services.carts.setQuantity(customerId, productId, quantity);
    },
    removeFromCart: (_: unknown, args: unknown, ctx: PaymentsContext) => {
      const { customerId } = requireSignedIn(ctx);
      return ctx.services.carts.remove(customerId, parseInput(removeFromCartSchema, args).productId);
    },
    clearCart: (_: unknown, __: unknown, ctx: PaymentsContext) => ctx.services.carts.clear(requireSignedIn(ctx).customerId),
  },
  Payment: {
    __resolveReference: async (ref: { id: string }, ctx: PaymentsContext) => requireOwned(ctx, await ctx.paymentById.load(ref.id)),
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
