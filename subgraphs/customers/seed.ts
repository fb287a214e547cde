import type { Connection } from 'mongoose';
import { DEV_PASSWORDS } from '../lib/config';
import { newId } from '../lib/ids';
import { ensureIndexes } from '../lib/mongo';
import { customerModel, newAddressId, refreshTokenModel, type AddressDoc, type CustomerDoc } from './model';
import { hashPassword } from './password';

/** Development accounts; documented in docs/auth.md. Never use these passwords anywhere real. */
export const SEED_ADMIN = { email: 'admin@example.com', password: DEV_PASSWORDS.admin, name: 'Shop Admin' } as const;
export const SEED_CUSTOMER_PASSWORD = DEV_PASSWORDS.customer;

type SeedAddress = Omit<AddressDoc, '_id'>;
export const SEED_CUSTOMERS: Array<{ email: string; name: string; addresses: SeedAddress[] }> = [
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

type SeedAccount = Pick<CustomerDoc, 'email' | 'name' | 'role'>;

/**
 * Inserts the account with its addresses (the first one as default) unless its email exists: one
 * upsert by email, so running the seed twice changes nothing.
 */
async function upsertByEmail(conn: Connection, account: SeedAccount, password: string, addresses: SeedAddress[] = []): Promise<'created' | 'exists'> {
  const saved = addresses.map((a) => ({ _id: newAddressId(), ...a }));
  const res = await customerModel(conn).updateOne(
    { email: account.email },
    {
      $setOnInsert: {
        _id: newId('customer'),
        ...account,
        passwordHash: await hashPassword(password),
        disabled: false,
        addresses: saved,
        defaultShippingAddressId: saved[0]?._id ?? null,
      },
    },
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
  if ((await upsertByEmail(conn, { email: SEED_ADMIN.email, name: SEED_ADMIN.name, role: 'ADMIN' }, SEED_ADMIN.password)) === 'created') created++;
  for (const c of SEED_CUSTOMERS) {
    if ((await upsertByEmail(conn, { email: c.email, name: c.name, role: 'CUSTOMER' }, SEED_CUSTOMER_PASSWORD, c.addresses)) === 'created') created++;
  }
  return { created, existing: SEED_CUSTOMERS.length + 1 - created, admin: SEED_ADMIN };
}
