import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Model } from 'mongoose';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import { disabledAccountKey } from '../lib/identity';
import type { Logger } from '../lib/logger';
import { idKey, paginate, type PageRequest } from '../lib/pagination';
import type { AddressSnapshot } from '../lib/queues';
import type { AddAddressInput, CustomerSearch, UpdateAddressInput } from './inputs';
import type { LoginLimiter } from './login-limiter';
import { MAX_ADDRESSES, ROOM_FOR_ADDRESS, newAddressId, type AddressDoc, type CustomerDoc, type RefreshTokenDoc } from './model';
import { decoyHash, hashPassword, passwordProblems, verifyPassword } from './password';
import type { SessionStore } from './sessions';
import { escapeRegex } from '../lib/regex';

export interface CustomersDeps {
  models: { customers: Model<CustomerDoc>; refreshTokens: Model<RefreshTokenDoc> };
  sessions: SessionStore;
  limiter: LoginLimiter;
  redis: Redis;
  queuePrefix: string;
  logger: Logger;
}

/** An address together with the customer document it now belongs to (for isDefaultShipping). */
export interface AddressChange {
  customer: CustomerDoc;
  address: AddressDoc;
}

/** The customer with this address, matched in the same filter that changes it. */
const withAddress = (customerId: string, addressId: string) => ({ _id: customerId, 'addresses._id': addressId });
const addressIn = (customer: CustomerDoc, addressId: string) => customer.addresses.find((a) => a._id === addressId)!;

/** Customer business rules; resolvers parse and authorize, then call these. */
export function createCustomersService(deps: CustomersDeps) {
  const { customers } = deps.models;
  const load = (id: string) => customers.findById(id).lean<CustomerDoc>();
  // Made now, not on the first unknown-email sign-in, which would otherwise take two scrypt runs.
  void decoyHash();

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

    /**
     * The same answer whether or not the email already has an account, and never a session, so
     * register cannot tell anyone who is a customer (the caller signs in with login next). The
     * password is hashed first either way, so the time taken does not tell either. An existing
     * account is left exactly as it was: the unique email index refuses the second insert.
     */
    async register(input: { email: string; password: string; name: string }): Promise<{ accepted: true }> {
      const passwordHash = await hashPassword(input.password);
      try {
        await customers.create({ _id: newId('customer'), email: input.email, name: input.name, passwordHash });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        deps.logger.info('registration for an email that already has an account: nothing changed');
      }
      return { accepted: true };
    },

    /**
     * Throttled per (email, client IP), per client IP, and slowed per email (see login-limiter.ts).
     * An unknown email and a wrong password get the same error after the same work: one read and
     * one scrypt check (against a decoy hash when there is no account).
     */
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

    /**
     * The limit is in the write: ONE `$push` whose filter requires room for one more address, so
     * concurrent adds cannot exceed it (each is applied atomically with its filter). The first
     * address becomes the default: in the same write when asked for, else by a second write that
     * only applies while the customer still has no default.
     */
    async addAddress(customerId: string, input: AddAddressInput): Promise<AddressChange> {
      const { setAsDefault, ...fields } = input;
      const address = { _id: newAddressId(), ...fields } as AddressDoc;
      const update = { $push: { addresses: address }, ...(setAsDefault ? { $set: { defaultShippingAddressId: address._id } } : {}) };
      let customer = await customers.findOneAndUpdate({ _id: customerId, ...ROOM_FOR_ADDRESS }, update, { new: true }).lean<CustomerDoc>();
      if (!customer) {
        if (!(await customers.exists({ _id: customerId }))) throw new NotFoundError('Customer');
        throw new ConflictError(`You can save at most ${MAX_ADDRESSES} addresses`, { reason: 'ADDRESS_LIMIT_REACHED', limit: MAX_ADDRESSES });
      }
      if (!customer.defaultShippingAddressId) {
        const withDefault = { $set: { defaultShippingAddressId: address._id } };
        customer = (await customers.findOneAndUpdate({ _id: customerId, defaultShippingAddressId: null }, withDefault, { new: true }).lean<CustomerDoc>()) ?? customer;
      }
      return { customer, address: addressIn(customer, address._id) };
    },

    async updateAddress(customerId: string, addressId: string, patch: UpdateAddressInput): Promise<AddressChange> {
      const changes = Object.fromEntries(Object.entries(patch).flatMap(([field, v]) => (v === undefined ? [] : [[`addresses.$.${field}`, v]])));
      const customer = Object.keys(changes).length
        ? await customers.findOneAndUpdate(withAddress(customerId, addressId), { $set: changes }, { new: true }).lean<CustomerDoc>()
        : await customers.findOne(withAddress(customerId, addressId)).lean<CustomerDoc>();
      if (!customer) throw new NotFoundError('Address');
      return { customer, address: addressIn(customer, addressId) };
    },

    /**
     * Removing the default shipping address leaves the customer with no default until they pick
     * one. The default is cleared by a second write conditional on it still being this address
     * (setting a removed address as default is impossible: that write requires the address).
     */
    async removeAddress(customerId: string, addressId: string): Promise<CustomerDoc> {
      const customer = await customers.findOneAndUpdate(withAddress(customerId, addressId), { $pull: { addresses: { _id: addressId } } }, { new: true }).lean<CustomerDoc>();
      if (!customer) throw new NotFoundError('Address');
      if (customer.defaultShippingAddressId !== addressId) return customer;
      const cleared = await customers
        .findOneAndUpdate({ _id: customerId, defaultShippingAddressId: addressId }, { $set: { defaultShippingAddressId: null } }, { new: true })
        .lean<CustomerDoc>();
      return cleared ?? (await load(customerId))!;
    },

    async setDefaultShippingAddress(customerId: string, addressId: string): Promise<CustomerDoc> {
      const customer = await customers.findOneAndUpdate(withAddress(customerId, addressId), { $set: { defaultShippingAddressId: addressId } }, { new: true }).lean<CustomerDoc>();
      if (!customer) throw new NotFoundError('Address');
      return customer;
    },

    /** For checkout (SERVICE only): the snapshot stored on the payment and the order. One read. */
    async checkoutAddress(customerId: string, addressId: string): Promise<AddressSnapshot> {
      const customer = await customers.findOne({ ...withAddress(customerId, addressId), disabled: { $ne: true } }).lean<CustomerDoc>();
      const a = customer && addressIn(customer, addressId);
      if (!a) throw new NotFoundError('Address');
      return { name: a.name ?? customer.name, line1: a.line1, line2: a.line2 ?? undefined, city: a.city, postalCode: a.postalCode, region: a.region ?? undefined, country: a.country };
    },

    /**
     * Admin search by email or name (case-insensitive substring; user text is escaped, never a
     * pattern), in creation order: customer ids are time-ordered, so the id alone is the position.
     */
    list({ search }: CustomerSearch, page: PageRequest) {
      const filter = search ? { $or: [{ email: new RegExp(escapeRegex(search), 'i') }, { name: new RegExp(escapeRegex(search), 'i') }] } : {};
      return paginate(customers, filter, [idKey(1)], page);
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
      const disabled = await customers.find({ disabled: true }, { _id: 1 }).lean<Array<Pick<CustomerDoc, '_id'>>>();
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
export type CustomersService = ReturnType<typeof createCustomersService>;
