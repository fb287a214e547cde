import { Schema, Types, type Connection, type Model } from 'mongoose';

/**
 * At most this many saved addresses per customer. The addresses live in an array on the customer
 * document: a handful, always read and changed together with their owner (the default shipping
 * address is a field of the same document). The limit is part of the write itself: an address is
 * added by ONE `$push` whose filter requires the array to have no element at index MAX_ADDRESSES-1,
 * so concurrent adds can never exceed it (see service.ts addAddress).
 */
export const MAX_ADDRESSES = 10;
/** Filter clause: "there is still room for one more address". */
export const ROOM_FOR_ADDRESS = { [`addresses.${MAX_ADDRESSES - 1}`]: { $exists: false } };

export const newAddressId = () => `addr_${new Types.ObjectId().toHexString()}`;

export interface AddressDoc {
  _id: string;
  name?: string | null;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  region?: string | null;
  country: string;
}

export interface CustomerDoc {
  _id: string;
  email: string;
  name: string;
  role: 'CUSTOMER' | 'ADMIN';
  /** `scrypt$N$r$p$salt$hash` (see password.ts); absent only for accounts created outside register. */
  passwordHash?: string | null;
  /** Oldest first; at most MAX_ADDRESSES. */
  addresses: AddressDoc[];
  /** The `_id` of one of `addresses`, or null. */
  defaultShippingAddressId?: string | null;
  disabled: boolean;
  disabledAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const addressSchema = new Schema<AddressDoc>({
  _id: { type: String, required: true },
  name: { type: String, default: null },
  line1: { type: String, required: true },
  line2: { type: String, default: null },
  city: { type: String, required: true },
  postalCode: { type: String, required: true },
  region: { type: String, default: null },
  country: { type: String, required: true },
});

const customerSchema = new Schema<CustomerDoc>(
  {
    _id: { type: String, required: true },
    // Stored lower-cased, so the unique index makes email unique case-insensitively.
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true },
    role: { type: String, enum: ['CUSTOMER', 'ADMIN'], default: 'CUSTOMER' },
    passwordHash: { type: String, default: null },
    addresses: { type: [addressSchema], default: [] },
    defaultShippingAddressId: { type: String, default: null },
    disabled: { type: Boolean, default: false },
    disabledAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);
// Every index and the query it serves: docs/auth.md "## Indexes".
customerSchema.index({ email: 1 }, { unique: true });
customerSchema.index({ disabled: 1 });

/**
 * One refresh token. Only its SHA-256 is stored (the `_id`), so a database leak yields no usable
 * tokens. Tokens of one sign-in share a `familyId`: rotation creates the next token in the family,
 * and presenting an already-rotated token revokes the whole family (it was stolen or replayed).
 */
export interface RefreshTokenDoc {
  _id: string;
  customerId: string;
  familyId: string;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  revokedReason: string | null;
  createdAt: Date;
}

const refreshTokenSchema = new Schema<RefreshTokenDoc>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    familyId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    rotatedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedReason: { type: String, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false, collection: 'refresh_tokens' },
);
refreshTokenSchema.index({ familyId: 1 });
refreshTokenSchema.index({ customerId: 1 });
/**
 * MongoDB deletes a token once it has expired (the local server keeps it). Nothing depends on the
 * deletion: an expired token is refused by the filter that claims it (`expiresAt > now`).
 */
refreshTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export function customerModel(conn: Connection): Model<CustomerDoc> {
  return conn.models.Customer ?? conn.model<CustomerDoc>('Customer', customerSchema);
}

export function refreshTokenModel(conn: Connection): Model<RefreshTokenDoc> {
  return conn.models.RefreshToken ?? conn.model<RefreshTokenDoc>('RefreshToken', refreshTokenSchema);
}
