import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parseInput } from '../lib/errors';
import { canAccessOwned, currentCustomerId, requireAdmin, requireService, requireSignedIn } from '../lib/guards';
import { pageArgsSchema } from '../lib/pagination';
import type { SubgraphContext } from '../lib/subgraph-server';
import * as inputs from './inputs';
import type { AddressDoc, CustomerDoc } from './model';
import type { AddressChange, CustomersService } from './service';
import type { TokenPair } from './sessions';

/** The customers domain's services, built once in index.ts. */
export interface CustomersServices {
  customers: CustomersService;
}
export type CustomersContext = SubgraphContext<{ customerById: DataLoader<string, CustomerDoc | null> }, CustomersServices>;
type Ctx = CustomersContext;

/**
 * The customer in an AuthPayload is the one who just proved their password (or refresh token),
 * though the request itself is still anonymous: mark it so its private fields resolve.
 */
const SIGNED_IN_AS_THIS = Symbol('signedInAsThis');
type Viewed = CustomerDoc & { [SIGNED_IN_AS_THIS]?: true };

const authPayload = (p: TokenPair) => ({
  accessToken: p.accessToken,
  accessTokenExpiresAt: p.accessTokenExpiresAt.toISOString(),
  refreshToken: p.refreshToken,
  refreshTokenExpiresAt: p.refreshTokenExpiresAt.toISOString(),
  customer: { ...p.customer, [SIGNED_IN_AS_THIS]: true } as Viewed,
});

/** Addresses carry whether they are the default, which only the owning customer knows. */
const withDefaultFlag = (c: CustomerDoc) => (a: AddressDoc) => ({ ...a, isDefaultShipping: a._id === c.defaultShippingAddressId });
/** Documents written before addresses moved onto the customer may lack the array. */
const addressesOf = (c: CustomerDoc) => c.addresses ?? [];
const flagged = ({ customer, address }: AddressChange) => withDefaultFlag(customer)(address);
/** Private fields: the customer themself, admins and trusted services; null for anyone else. */
const privateField = <T>(read: (c: CustomerDoc, ctx: Ctx) => T) => (c: Viewed, _: unknown, ctx: Ctx) => (c[SIGNED_IN_AS_THIS] || canAccessOwned(ctx, c._id) ? read(c, ctx) : null);

export const resolvers: GraphQLResolverMap<CustomersContext> = {
  Query: {
    me: (_: unknown, __: unknown, ctx: Ctx) => {
      const customerId = currentCustomerId(ctx);
      return customerId ? ctx.customerById.load(customerId) : null;
    },
    customer: (_: unknown, args: { id: string }, ctx: Ctx) => {
      requireAdmin(ctx);
      return ctx.customerById.load(parseInput(inputs.idSchema, args.id, ['id']));
    },
    customers: (_: unknown, args: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      return ctx.services.customers.list(parseInput(inputs.customerSearchSchema, args), parseInput(pageArgsSchema, args));
    },
    shippingAddressForCheckout: (_: unknown, args: { customerId: string; addressId: string }, ctx: Ctx) => {
      requireService(ctx);
      return ctx.services.customers.checkoutAddress(parseInput(inputs.idSchema, args.customerId, ['customerId']), parseInput(inputs.idSchema, args.addressId, ['addressId']));
    },
  },
  Mutation: {
    register: (_: unknown, args: { input: unknown }, ctx: Ctx) => ctx.services.customers.register(parseInput(inputs.registerSchema, args.input, ['input'])),
    login: async (_: unknown, args: unknown, ctx: Ctx) => {
      const { email, password } = parseInput(inputs.loginSchema, args);
      return authPayload(await ctx.services.customers.login(email, password, ctx.identity.ip));
    },
    refreshSession: async (_: unknown, args: unknown, ctx: Ctx) => authPayload(await ctx.services.customers.refresh(parseInput(inputs.refreshTokenSchema, args).refreshToken)),
    logout: async (_: unknown, args: unknown, ctx: Ctx) => {
      await ctx.services.customers.logout(parseInput(inputs.refreshTokenSchema, args).refreshToken);
      return true;
    },
    updateProfile: (_: unknown, args: { input: unknown }, ctx: Ctx) => {
      const { customerId } = requireSignedIn(ctx);
      return ctx.services.customers.updateProfile(customerId, parseInput(inputs.updateProfileSchema, args.input, ['input']));
    },
    changePassword: async (_: unknown, args: unknown, ctx: Ctx) => {
      const { customerId } = requireSignedIn(ctx);
      const { currentPassword, newPassword } = parseInput(inputs.changePasswordSchema, args);
      return authPayload(await ctx.services.customers.changePassword(customerId, currentPassword, newPassword, ctx.identity.ip));
    },
    addAddress: async (_: unknown, args: { input: unknown }, ctx: Ctx) => {
      const { customerId } = requireSignedIn(ctx);
      return flagged(await ctx.services.customers.addAddress(customerId, parseInput(inputs.addAddressSchema, args.input, ['input'])));
    },
    updateAddress: async (_: unknown, args: { id: string; input: unknown }, ctx: Ctx) => {
      const { customerId } = requireSignedIn(ctx);
      const id = parseInput(inputs.idSchema, args.id, ['id']);
      return flagged(await ctx.services.customers.updateAddress(customerId, id, parseInput(inputs.updateAddressSchema, args.input, ['input'])));
    },
    removeAddress: async (_: unknown, args: { id: string }, ctx: Ctx) => {
      const { customerId } = requireSignedIn(ctx);
      return ctx.services.customers.removeAddress(customerId, parseInput(inputs.idSchema, args.id, ['id']));
    },
    setDefaultShippingAddress: async (_: unknown, args: { id: string }, ctx: Ctx) => {
      const { customerId } = requireSignedIn(ctx);
      return ctx.services.customers.setDefaultShippingAddress(customerId, parseInput(inputs.idSchema, args.id, ['id']));
    },
    disableCustomer: (_: unknown, args: { id: string }, ctx: Ctx) => ctx.services.customers.setDisabled(requireAdmin(ctx), parseInput(inputs.idSchema, args.id, ['id']), true),
    enableCustomer: (_: unknown, args: { id: string }, ctx: Ctx) => ctx.services.customers.setDisabled(requireAdmin(ctx), parseInput(inputs.idSchema, args.id, ['id']), false),
  },
  Customer: {
    __resolveReference: (ref: { id: string }, ctx: Ctx) => ctx.customerById.load(ref.id),
    id: (c: CustomerDoc) => c._id,
    email: privateField((c) => c.email),
    addresses: privateField((c) => addressesOf(c).map(withDefaultFlag(c))),
    defaultShippingAddress: privateField((c) => {
      const found = addressesOf(c).find((a) => a._id === c.defaultShippingAddressId);
      return found ? withDefaultFlag(c)(found) : null;
    }),
    disabled: privateField((c) => c.disabled ?? false),
    createdAt: (c: CustomerDoc) => c.createdAt.toISOString(),
  },
  Address: {
    id: (a: AddressDoc) => a._id,
  },
};

