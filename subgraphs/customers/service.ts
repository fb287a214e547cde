import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { Types, type Model } from 'mongoose';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import { disabledAccountKey } from '../lib/identity';
import type { Logger } from '../lib/logger';
import type { AddressSnapshot } from '../lib/queues';
import type { AddAddressInput, CustomerSearch, UpdateAddressInput } from './inputs';
import type { LoginLimiter } from './login-limiter';
import { MAX_ADDRESSES, type AddressDoc, type CustomerDoc, type RefreshTokenDoc } from './model';
import { decoyHash, hashPassword, passwordProblems, verifyPassword } from './password';
import type { SessionStore } from './sessions';
import { escapeRegex } from '../lib/regex';

export interface CustomersDeps {
  models: { customers: Model<CustomerDoc>; addresses: Model<AddressDoc>; refreshTokens: Model<RefreshTokenDoc> };
  sessions: SessionStore;
  limiter: LoginLimiter;
  redis: Redis;
  queuePrefix: string;
  logger: Logger;
}

const newAddressId = () => `addr_${new Types.ObjectId().toHexString()}`;

/** Customer business rules; resolvers parse and authorize, then call these. */
export function customersService(deps: CustomersDeps) {
  const { customers, addresses } = deps.models;
  const load = (id: string) => customers.findById(id).lean<CustomerDoc>();

  async function ownAddress(customerId: string, addressId: string): Promise<AddressDoc> {
    const found = await addresses.findOne({ _id: addressId, customerId }).lean<AddressDoc>();
    if (!found) throw new NotFoundError('Address');
    return found;
  }

  async function setDisabledFlag(customerId: string, disabled: boolean): Promise<void> {
    const key = disabledAccountKey(deps.queuePrefix, customerId);
    if (disabled) await deps.redis.set(key, '1');
    else await deps.redis.del(key);
  }

  async function requirePassword(customer: CustomerDoc | null, password: string): Promise<void> {
    const ok = await verifyPassword(password, customer?.passwordHash ?? (await decoyHash()));
    if (!ok || !customer?.passwordHash) throw new UnauthenticatedError('Email or password is incorrect');
  }

  return {
    models: deps.models,

    async register(input: { email: string; password: string; name: string }) {
      const passwordHash = await hashPassword(input.password);
      try {
        const [created] = await customers.create([{ _id: newId('customer'), email: input.email, name: input.name, passwordHash }]);
        return deps.sessions.start(created.toObject());
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new ConflictError('An account with this email already exists', { field: 'email' });
        throw err;
      }
    },

    /** Throttled per email and per client IP (see login-limiter.ts); the same answer for unknown email and wrong password. */
    async login(email: string, password: string, ip: string | undefined) {
      const attempt = await deps.limiter.attempt(email, ip);
      if (attempt.delayMs) await sleep(attempt.delayMs);
      const customer = await customers.findOne({ email }).lean<CustomerDoc>();
      await requirePassword(customer, password);
      if (customer!.disabled) throw new ForbiddenError('This account is disabled');
      await attempt.succeeded();
      return deps.sessions.start(customer!);
    },

    refresh: (refreshToken: string) => deps.sessions.rotate(refreshToken, load),
    logout: (refreshToken: string) => deps.sessions.revoke(refreshToken),

    async updateProfile(customerId: string, patch: { name: string }) {
      const updated = await customers.findOneAndUpdate({ _id: customerId }, { $set: patch }, { new: true }).lean<CustomerDoc>();
      if (!updated) throw new NotFoundError('Customer');
      return updated;
    },

    /** Signs every session out (including other devices) and starts a fresh one for the caller. */
    async changePassword(customerId: string, currentPassword: string, newPassword: string, ip: string | undefined) {
      const customer = await load(customerId);
      if (!customer) throw new NotFoundError('Customer');
      const attempt = await deps.limiter.attempt(customer.email, ip);
      if (attempt.delayMs) await sleep(attempt.delayMs);
      await requirePassword(customer, currentPassword).catch(() => {
        throw new BadUserInputError('currentPassword: is incorrect', ['currentPassword']);
      });
      await attempt.succeeded();
      const problems = passwordProblems(newPassword, customer.email);
      if (problems.length) throw new BadUserInputError(`newPassword: ${problems[0]}`, ['newPassword'], { issues: problems.map((message) => ({ path: 'newPassword', message })) });
      const passwordHash = await hashPassword(newPassword);
      const updated = await customers.findOneAndUpdate({ _id: customerId }, { $set: { passwordHash } }, { new: true }).lean<CustomerDoc>();
      await deps.sessions.revokeAllFor(customerId, 'password-changed');
      return deps.sessions.start(updated!);
    },

    /** Addresses of one customer, oldest first. */
    addressesOf: (customerId: string) => addresses.find({ customerId }).sort({ _id: 1 }).lean<AddressDoc[]>(),

    /**
     * Atomic limit: the address claims the first free slot with a plain insert; the unique
     * (customerId, slot) index makes concurrent adds take different slots, and when all are taken
     * every insert fails. No read-then-write decides the count.
     */
    async addAddress(customerId: string, input: AddAddressInput): Promise<AddressDoc> {
      const { setAsDefault, ...fields } = input;
      const taken = new Set((await addresses.find({ customerId }).lean<AddressDoc[]>()).map((a) => a.slot));
      const order = [...Array(MAX_ADDRESSES).keys()].sort((a, b) => Number(taken.has(a)) - Number(taken.has(b)));
      for (const slot of order) {
        try {
          const [created] = await addresses.create([{ _id: newAddressId(), customerId, slot, ...fields }]);
          const address = created.toObject() as AddressDoc;
          if (setAsDefault) await customers.updateOne({ _id: customerId }, { $set: { defaultShippingAddressId: address._id } });
          // The first address becomes the default shipping address (only if there still is none).
          else await customers.updateOne({ _id: customerId, defaultShippingAddressId: null }, { $set: { defaultShippingAddressId: address._id } });
          return address;
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
      throw new ConflictError(`You can save at most ${MAX_ADDRESSES} addresses`, { reason: 'ADDRESS_LIMIT_REACHED', limit: MAX_ADDRESSES });
    },

    async updateAddress(customerId: string, addressId: string, patch: UpdateAddressInput): Promise<AddressDoc> {
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const updated = await addresses.findOneAndUpdate({ _id: addressId, customerId }, { $set: changes }, { new: true }).lean<AddressDoc>();
      if (!updated) throw new NotFoundError('Address');
      return updated;
    },

    /** Removing the default shipping address leaves the customer with no default until they pick one. */
    async removeAddress(customerId: string, addressId: string): Promise<void> {
      const removed = await addresses.deleteOne({ _id: addressId, customerId });
      if (!removed.deletedCount) throw new NotFoundError('Address');
      await customers.updateOne({ _id: customerId, defaultShippingAddressId: addressId }, { $set: { defaultShippingAddressId: null } });
    },

    async setDefaultShippingAddress(customerId: string, addressId: string): Promise<void> {
      await ownAddress(customerId, addressId);
      await customers.updateOne({ _id: customerId }, { $set: { defaultShippingAddressId: addressId } });
    },

    /** For checkout (SERVICE only): the snapshot stored on the payment and the order. */
    async checkoutAddress(customerId: string, addressId: string): Promise<AddressSnapshot> {
      const customer = await load(customerId);
      const a = customer && !customer.disabled ? await addresses.findOne({ _id: addressId, customerId }).lean<AddressDoc>() : null;
      if (!a) throw new NotFoundError('Address');
      return { name: a.name ?? customer!.name, line1: a.line1, line2: a.line2 ?? undefined, city: a.city, postalCode: a.postalCode, region: a.region ?? undefined, country: a.country };
    },

    /** Admin search by email or name (case-insensitive substring; user text is escaped, never a pattern). */
    async list({ search, first, after }: CustomerSearch) {
      const filter = search ? { $or: [{ email: new RegExp(escapeRegex(search), 'i') }, { name: new RegExp(escapeRegex(search), 'i') }] } : {};
      const [totalCount, page] = await Promise.all([
        customers.countDocuments(filter),
        customers
          .find(after ? { $and: [filter, { _id: { $gt: after } }] } : filter)
          .sort({ _id: 1 })
          .limit(first + 1)
          .lean<CustomerDoc[]>(),
      ]);
      return { nodes: page.slice(0, first), hasNextPage: page.length > first, totalCount };
    },

    /** Disabling revokes every refresh token and flags the account in Redis, where the gateway checks each request. */
    async setDisabled(adminId: string, customerId: string, disabled: boolean) {
      if (adminId === customerId && disabled) throw new BadUserInputError('id: you cannot disable your own account', ['id']);
      const updated = await customers
        .findOneAndUpdate({ _id: customerId }, { $set: { disabled, disabledAt: disabled ? new Date() : null } }, { new: true })
        .lean<CustomerDoc>();
      if (!updated) throw new NotFoundError('Customer');
      if (disabled) await deps.sessions.revokeAllFor(customerId, 'disabled');
      await setDisabledFlag(customerId, disabled);
      deps.logger.info(disabled ? 'customer disabled' : 'customer enabled', { customerId, by: adminId });
      return updated;
    },

    /** At start: Redis may have been emptied, so re-flag every disabled account (Mongo is the record). */
    async syncDisabledFlags(): Promise<number> {
      const disabled = await customers.find({ disabled: true }).lean<CustomerDoc[]>();
      for (const c of disabled) await setDisabledFlag(c._id, true);
      return disabled.length;
    },

    /**
     * Creates the admin, or promotes an existing account. Promoting also resets the password to the
     * operator's and signs the account out, so whoever registered that email first gains nothing.
     */
    async ensureAdmin(input: { email: string; password: string; name: string }): Promise<{ id: string; action: 'created' | 'promoted' | 'unchanged' }> {
      const existing = await customers.findOne({ email: input.email }).lean<CustomerDoc>();
      if (existing?.role === 'ADMIN' && !existing.disabled && (await verifyPassword(input.password, existing.passwordHash))) return { id: existing._id, action: 'unchanged' };
      const passwordHash = await hashPassword(input.password);
      if (!existing) {
        const [created] = await customers.create([{ _id: newId('customer'), email: input.email, name: input.name, role: 'ADMIN', passwordHash }]);
        return { id: created._id, action: 'created' };
      }
      await customers.updateOne({ _id: existing._id }, { $set: { role: 'ADMIN', passwordHash, disabled: false, disabledAt: null } });
      await deps.sessions.revokeAllFor(existing._id, 'promoted');
      await setDisabledFlag(existing._id, false);
      return { id: existing._id, action: 'promoted' };
    },
  };
}
export type CustomersService = ReturnType<typeof customersService>;
