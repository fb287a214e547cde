import { moveLegacyAddresses } from '../subgraphs/customers/legacy-addresses';
import { MAX_ADDRESSES } from '../subgraphs/customers/model';
import { createLogger } from '../subgraphs/lib/logger';
import { startStack, type TestStack } from './support/stack';
import { codeOf, registerCustomer, type Session } from './auth-flows';

const ADD = `mutation($input: AddAddressInput!) { addAddress(input: $input) { id name line1 line2 city postalCode region country isDefaultShipping } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateAddressInput!) { updateAddress(id: $id, input: $input) { id line1 line2 city country isDefaultShipping } }`;
const REMOVE = `mutation($id: ID!) { removeAddress(id: $id) { addresses { id } defaultShippingAddress { id } } }`;
const SET_DEFAULT = `mutation($id: ID!) { setDefaultShippingAddress(id: $id) { defaultShippingAddress { id } addresses { id isDefaultShipping } } }`;
const home = { name: 'Dana Home', line1: '1 Main St', line2: 'Apt 4', city: 'Portland', postalCode: '97201', region: 'OR', country: 'us' };

describe('customers keep an address book', () => {
  let stack: TestStack;
  let dana: Session;
  beforeAll(async () => {
    stack = await startStack();
    dana = await registerCustomer(stack, { name: 'Dana' });
  });
  afterAll(() => stack?.stop());

  it('the first address becomes the default; another can take over; edits change only the given fields', async () => {
    const first = await stack.gql(ADD, { input: home }, { token: dana.accessToken });
    expect(first.errors).toBeUndefined();
    expect(first.data.addAddress).toMatchObject({ ...home, country: 'US', isDefaultShipping: true });
    const work = await stack.gql(ADD, { input: { line1: '9 Office Rd', city: 'Salem', postalCode: '97301', country: 'US', setAsDefault: true } }, { token: dana.accessToken });
    expect(work.data.addAddress.isDefaultShipping).toBe(true);

    const edited = await stack.gql(UPDATE, { id: first.data.addAddress.id, input: { line1: '2 Main St', line2: null } }, { token: dana.accessToken });
    expect(edited.data.updateAddress).toEqual({ id: first.data.addAddress.id, line1: '2 Main St', line2: null, city: 'Portland', country: 'US', isDefaultShipping: false });

    const switched = await stack.gql(SET_DEFAULT, { id: first.data.addAddress.id }, { token: dana.accessToken });
    expect(switched.data.setDefaultShippingAddress.defaultShippingAddress).toEqual({ id: first.data.addAddress.id });
    expect(switched.data.setDefaultShippingAddress.addresses.filter((a: { isDefaultShipping: boolean }) => a.isDefaultShipping)).toEqual([{ id: first.data.addAddress.id, isDefaultShipping: true }]);

    const removed = await stack.gql(REMOVE, { id: first.data.addAddress.id }, { token: dana.accessToken });
    expect(removed.data.removeAddress).toEqual({ addresses: [{ id: work.data.addAddress.id }], defaultShippingAddress: null });
    await stack.gql(REMOVE, { id: work.data.addAddress.id }, { token: dana.accessToken });
  });

  it('invalid input is BAD_USER_INPUT naming the field', async () => {
    const badCountry = await stack.gql(ADD, { input: { ...home, country: 'United States' } }, { token: dana.accessToken });
    expect(codeOf(badCountry)).toBe('BAD_USER_INPUT');
    expect(badCountry.errors![0].extensions!.field).toBe('input.country');
    const blankCity = await stack.gql(ADD, { input: { ...home, city: '  ' } }, { token: dana.accessToken });
    expect(blankCity.errors![0].extensions!.field).toBe('input.city');
  });

  it("another customer's address cannot be edited, removed or made default: NOT_FOUND, as if it did not exist", async () => {
    const eve = await registerCustomer(stack, { name: 'Eve' });
    const danas = await stack.gql(ADD, { input: home }, { token: dana.accessToken });
    const id = danas.data.addAddress.id;
    for (const [query, variables] of [[UPDATE, { id, input: { city: 'Hacked' } }], [REMOVE, { id }], [SET_DEFAULT, { id }]] as const) {
      expect(codeOf(await stack.gql(query, variables, { token: eve.accessToken }))).toBe('NOT_FOUND');
    }
    expect(codeOf(await stack.gql(UPDATE, { id: 'addr_000000000000000000000000', input: { city: 'X' } }, { token: eve.accessToken }))).toBe('NOT_FOUND');
    expect(codeOf(await stack.gql(ADD, { input: home }))).toBe('UNAUTHENTICATED');
    const stored = await stack.customers.deps.service.models.customers.findById(dana.customer.id).lean();
    expect(stored!.addresses.find((a) => a._id === id)!.city).toBe('Portland');
  });

  it(`at most ${MAX_ADDRESSES} addresses, even when many are added at the same moment`, async () => {
    const frank = await registerCustomer(stack, { name: 'Frank' });
    const results = await Promise.all(
      Array.from({ length: MAX_ADDRESSES + 4 }, (_, i) => stack.gql(ADD, { input: { ...home, line1: `${i} Parallel St` } }, { token: frank.accessToken })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(MAX_ADDRESSES);
    const refused = results.filter((r) => r.errors);
    expect(refused).toHaveLength(4);
    for (const r of refused) expect(r.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'ADDRESS_LIMIT_REACHED', limit: MAX_ADDRESSES });
    const customer = await stack.customers.deps.service.models.customers.findById(frank.customer.id).lean();
    const stored = customer!.addresses;
    expect(stored).toHaveLength(MAX_ADDRESSES);
    expect(new Set(stored.map((a) => a._id)).size).toBe(MAX_ADDRESSES);
    expect(stored.some((a) => a._id === customer!.defaultShippingAddressId)).toBe(true);
    // Removing one makes room for a new one.
    const freed = await stack.gql(REMOVE, { id: stored[3]._id }, { token: frank.accessToken });
    expect(freed.data.removeAddress.addresses).toHaveLength(MAX_ADDRESSES - 1);
    expect((await stack.gql(ADD, { input: home }, { token: frank.accessToken })).errors).toBeUndefined();
    expect(codeOf(await stack.gql(ADD, { input: home }, { token: frank.accessToken }))).toBe('CONFLICT');
  });

  it('addresses saved by the former one-document-per-address layout move onto their customer, once, and keep the default', async () => {
    const gina = await registerCustomer(stack, { name: 'Gina' });
    const { customers } = stack.customers.deps.service.models;
    const legacy = customers.db.collection('addresses');
    const quiet = createLogger('legacy-addresses-test', 'error');
    const old = [
      { _id: 'addr_000000000000000000000001', customerId: gina.customer.id, slot: 0, name: null, line1: '1 Old Rd', line2: null, city: 'Bend', postalCode: '97701', region: 'OR', country: 'US' },
      { _id: 'addr_000000000000000000000002', customerId: gina.customer.id, slot: 1, name: 'Gina', line1: '2 Old Rd', line2: null, city: 'Bend', postalCode: '97701', region: null, country: 'US' },
    ];
    await legacy.insertMany(old as never[]);
    await customers.updateOne({ _id: gina.customer.id }, { $set: { defaultShippingAddressId: old[1]._id } });

    expect(await moveLegacyAddresses(customers.db, customers, quiet)).toBe(2);
    // As if a run was interrupted after pushing but before deleting: the repeat pushes nothing.
    await legacy.insertOne(old[0] as never);
    expect(await moveLegacyAddresses(customers.db, customers, quiet)).toBe(1);

    const me = await stack.gql(`{ me { addresses { id line1 isDefaultShipping } } }`, {}, { token: gina.accessToken });
    expect(me.data.me.addresses).toEqual([
      { id: old[0]._id, line1: '1 Old Rd', isDefaultShipping: false },
      { id: old[1]._id, line1: '2 Old Rd', isDefaultShipping: true },
    ]);
    expect(await legacy.countDocuments()).toBe(0);
  });
});
