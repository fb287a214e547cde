import type { Connection } from 'mongoose';
import { newId } from '../lib/ids';
import { customerModel, refreshTokenModel, type AddressDoc, type CustomerDoc } from './model';
import { hashPassword } from './password';
import { ensureIndexes } from '../lib/mongo';
import { Types } from 'mongoose';

/** Development accounts; documented in docs/auth.md. Never use these passwords anywhere real. */
export const SEED_ADMIN = { email: 'admin@example.com', password: 'admin-dev-password-123', name: 'Shop Admin' } as const;
export const SEED_CUSTOMER_PASSWORD = 'customer-dev-password-123';

type SeedAddress = Omit<AddressDoc, '_id'>;
const SEED_CUSTOMERS: Array<{ email: string; name: string; addresses: SeedAddress[] }> = [
  { email: 'ada@example.com', name: 'Ada Lovelace', addresses: [{ name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }] },
  {
    email: 'grace@example.com',
    name: 'Grace Hopper',
    addresses: [
      { name: 'Grace Hopper', line1: '1 Navy Way', line2: 'Suite 200', city: 'Arlington', postalCode: '22202', region: 'VA', country: 'US' },
      { name: 'Grace Hopper', line1: '300 Yale Ave', city: 'New Haven', postalCode: '06511', region: 'CT', country: 'US' },
    ],
  },
  { email: 'alan@example.com', name: 'Alan Turing', addresses: [{ name: 'Alan Turing', line1: 'Bletchley Park', city: 'Milton Keynes', postalCode: 'MK3 6EB', country: 'GB' }] },
  { email: 'katherine@example.com', name: 'Katherine Johnson', addresses: [{ name: 'Katherine Johnson', line1: '1 NASA Drive', city: 'Hampton', postalCode: '23666', region: 'VA', country: 'US' }] },
  { email: 'linus@example.com', name: 'Linus Torvalds', addresses: [{ name: 'Linus Torvalds', line1: 'Mannerheimintie 1', city: 'Helsinki', postalCode: '00100', country: 'FI' }] },
];

/** Inserts the account unless its email exists (upsert by email): running the seed twice changes nothing. */
async function upsertByEmail(conn: Connection, doc: Omit<CustomerDoc, '_id' | 'createdAt' | 'updatedAt' | 'addressesVersion' | 'disabled'>, password: string): Promise<'created' | 'exists'> {
  const customers = customerModel(conn);
  const res = await customers.updateOne(
    { email: doc.email },
    { $setOnInsert: { _id: newId('customer'), ...doc, passwordHash: await hashPassword(password), addressesVersion: 0, disabled: false } },
    { upsert: true },
  );
  return res.upsertedCount ? 'created' : 'exists';
}

/**
 * Development data: one admin and five customers with addresses. Idempotent (upsert by email);
 * an existing account keeps whatever was changed on it since.
 */
export async function seedCustomers(conn: Connection): Promise<{ created: number; existing: number; admin: typeof SEED_ADMIN }> {
  await ensureIndexes([customerModel(conn), refreshTokenModel(conn)]);
  let created = 0;
  const admin = await upsertByEmail(conn, { email: SEED_ADMIN.email, name: SEED_ADMIN.name, role: 'ADMIN', addresses: [], defaultShippingAddressId: null }, SEED_ADMIN.password);
  if (admin === 'created') created++;
  for (const c of SEED_CUSTOMERS) {
    const addresses = c.addresses.map((a) => ({ _id: `addr_${new Types.ObjectId().toHexString()}`, ...a }));
    const outcome = await upsertByEmail(conn, { email: c.email, name: c.name, role: 'CUSTOMER', addresses, defaultShippingAddressId: addresses[0]?._id ?? null }, SEED_CUSTOMER_PASSWORD);
    if (outcome === 'created') created++;
  }
  return { created, existing: SEED_CUSTOMERS.length + 1 - created, admin: SEED_ADMIN };
}
