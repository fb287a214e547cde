import { Schema, type Connection, type Model } from 'mongoose';

/**
 * At most this many saved addresses per customer. Each address occupies one numbered slot and
 * (customerId, slot) is a unique index, so concurrent adds cannot exceed the limit: claiming a slot
 * is a single insert that either wins or fails with a duplicate key. (A conditional $push on the
 * customer document is not enough on FerretDB v1, whose array updates are not atomic under concurrency.)
 */
export const MAX_ADDRESSES = 10;

export interface AddressDoc {
  _id: string;
  customerId: string;
  /** 0..MAX_ADDRESSES-1, unique per customer. */
  slot: number;
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
  defaultShippingAddressId?: string | null;
  disabled: boolean;
  disabledAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const addressSchema = new Schema<AddressDoc>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    slot: { type: Number, required: true, min: 0, max: MAX_ADDRESSES - 1 },
    name: { type: String, default: null },
    line1: { type: String, required: true },
    line2: { type: String, default: null },
    city: { type: String, required: true },
    postalCode: { type: String, required: true },
    region: { type: String, default: null },
    country: { type: String, required: true },
  },
  { versionKey: false, collection: 'addresses' },
);
addressSchema.index({ customerId: 1, slot: 1 }, { unique: true });

const customerSchema = new Schema<CustomerDoc>(
  {
    _id: { type: String, required: true },
    // Stored lower-cased, so the unique index makes email unique case-insensitively.
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true },
    role: { type: String, enum: ['CUSTOMER', 'ADMIN'], default: 'CUSTOMER' },
    passwordHash: { type: String, default: null },
    defaultShippingAddressId: { type: String, default: null },
    disabled: { type: Boolean, default: false },
    disabledAt: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);
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

export function customerModel(conn: Connection): Model<CustomerDoc> {
  return conn.models.Customer ?? conn.model<CustomerDoc>('Customer', customerSchema);
}

export function refreshTokenModel(conn: Connection): Model<RefreshTokenDoc> {
  return conn.models.RefreshToken ?? conn.model<RefreshTokenDoc>('RefreshToken', refreshTokenSchema);
}

export function addressModel(conn: Connection): Model<AddressDoc> {
  return conn.models.Address ?? conn.model<AddressDoc>('Address', addressSchema);
}
