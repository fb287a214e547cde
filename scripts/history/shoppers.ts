import type { Connection } from 'mongoose';
import { SEED_CUSTOMERS, SEED_CUSTOMER_PASSWORD } from '../../subgraphs/customers/seed';
import { customerModel, newAddressId, type CustomerDoc } from '../../subgraphs/customers/model';
import { hashPassword } from '../../subgraphs/customers/password';
import type { AddressSnapshot } from '../../subgraphs/lib/queues';
import type { PlanShopper } from './plan';
import { historyId } from './plan';
import { createRandom } from './random';

/**
 * The people in the seeded history: the five demo customers (who can sign in and see their order
 * history) among a few hundred generated shoppers. Generated shoppers are the same for every seed
 * number (upserted by email), so two seeds share one customer base.
 */
const FIRST = ['Maya', 'Liam', 'Sofia', 'Noah', 'Amara', 'Lucas', 'Elena', 'Kenji', 'Zara', 'Omar', 'Ingrid', 'Mateo', 'Priya', 'Felix', 'Chloe', 'Tariq', 'Hana', 'Diego', 'Freya', 'Ravi'];
const LAST = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Haddad', 'Kowalski', 'Silva', 'Novak', 'Schmidt', 'Reyes', 'Nakamura', 'Byrne', 'Costa', 'Larsen', 'Petrov'];
const CITIES: Array<Omit<AddressSnapshot, 'name' | 'line1'>> = [
  { city: 'Portland', postalCode: '97205', region: 'OR', country: 'US' },
  { city: 'Austin', postalCode: '78701', region: 'TX', country: 'US' },
  { city: 'Chicago', postalCode: '60601', region: 'IL', country: 'US' },
  { city: 'Boston', postalCode: '02108', region: 'MA', country: 'US' },
  { city: 'Denver', postalCode: '80202', region: 'CO', country: 'US' },
  { city: 'Toronto', postalCode: 'M5H 2N2', region: 'ON', country: 'CA' },
  { city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' },
  { city: 'Berlin', postalCode: '10115', country: 'DE' },
];
/** Where the demo customers stand among the best customers (Ada buys the most). */
const DEMO_RANKS = [0, 2, 5, 9, 14];

interface GeneratedShopper {
  email: string;
  name: string;
  address: AddressSnapshot;
}

export function generatedShoppers(count: number): GeneratedShopper[] {
  const random = createRandom(1_000_003);
  return Array.from({ length: count }, (_, i) => {
    const name = `${FIRST[i % FIRST.length]} ${LAST[(i + Math.floor(i / FIRST.length)) % LAST.length]}`;
    const place = CITIES[random.int(0, CITIES.length - 1)];
    return {
      email: `${name.toLowerCase().replace(/\s+/g, '.')}.${i + 1}@example.com`,
      name,
      address: { name, line1: `${random.int(1, 999)} ${LAST[random.int(0, LAST.length - 1)]} Street`, ...place },
    };
  });
}

/** Creates the generated shoppers that do not exist yet and returns every shopper, best customers first. */
export async function ensureShoppers(conn: Connection, count: number): Promise<PlanShopper[]> {
  const customers = customerModel(conn);
  const generated = generatedShoppers(count);
  // One hash for all of them: demo accounts sharing the README's public password; hashing each
  // separately would only add seconds of scrypt.
  const passwordHash = await hashPassword(SEED_CUSTOMER_PASSWORD);
  const since = new Date(Date.UTC(2020, 0, 1));
  await customers.bulkWrite(
    generated.map((g, i) => {
      const addressId = newAddressId();
      return {
        updateOne: {
          filter: { email: g.email },
          update: {
            $setOnInsert: {
              _id: historyId('cus', 0, i, since),
              email: g.email,
              name: g.name,
              role: 'CUSTOMER',
              passwordHash,
              disabled: false,
              addresses: [{ _id: addressId, ...g.address }],
              defaultShippingAddressId: addressId,
              createdAt: since,
              updatedAt: since,
            },
          },
          upsert: true,
        },
      };
    }),
    { ordered: false, timestamps: false },
  );
  const emails = [...SEED_CUSTOMERS.map((c) => c.email), ...generated.map((g) => g.email)];
  const found = await customers.find({ email: { $in: emails } }, { email: 1, name: 1, addresses: 1 }).lean<Array<Pick<CustomerDoc, '_id' | 'email' | 'name' | 'addresses'>>>();
  const byEmail = new Map(found.map((c) => [c.email, c]));
  const shopper = (email: string): PlanShopper => {
    const c = byEmail.get(email);
    if (!c) throw new Error(`customer ${email} was not created`);
    const { _id, ...address } = c.addresses[0] ?? { _id: '', name: c.name, line1: 'unknown', city: 'unknown', postalCode: '00000', country: 'US' };
    return { customerId: c._id, address: withoutEmpty(address) as AddressSnapshot };
  };
  const ranked = generated.map((g) => shopper(g.email));
  SEED_CUSTOMERS.forEach((demo, i) => ranked.splice(Math.min(DEMO_RANKS[i] ?? ranked.length, ranked.length), 0, shopper(demo.email)));
  return ranked;
}

function withoutEmpty<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== '')) as T;
}
