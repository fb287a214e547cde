import { newId } from '../subgraphs/lib/ids';
import { startStack, type TestStack } from './support/stack';

const CART_FIELDS = `id totalQuantity lines { quantity product { id name priceCents currency stock { available } } }`;
const CART = `query { cart { ${CART_FIELDS} } }`;
const ADD = `mutation Add($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { ${CART_FIELDS} } }`;
const SET = `mutation Set($productId: ID!, $quantity: Int!) { setCartLineQuantity(productId: $productId, quantity: $quantity) { ${CART_FIELDS} } }`;
const REMOVE = `mutation Remove($productId: ID!) { removeFromCart(productId: $productId) { ${CART_FIELDS} } }`;
const CLEAR = `mutation { clearCart { ${CART_FIELDS} } }`;
const CREATE_PRODUCT = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id } }`;
const UPDATE_PRODUCT = `mutation Update($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id priceCents } }`;

describe('a customer keeps a cart and sees current prices and stock through the Product entity', () => {
  let stack: TestStack;
  let adminToken: string;
  let token: string;
  let mug: string;
  let tee: string;

  const createProduct = async (name: string, priceCents: number, initialStock: number) => {
    const res = await stack.gql(CREATE_PRODUCT, { input: { sku: `${name.toUpperCase()}-${newId('product').slice(-6)}`, name, priceCents, currency: 'USD', initialStock } }, { token: adminToken });
    expect(res.errors).toBeUndefined();
    return res.data.createProduct.id as string;
  };

  beforeAll(async () => {
    stack = await startStack();
    adminToken = await stack.tokenFor(newId('customer'), 'ADMIN');
    token = await stack.tokenFor(newId('customer'));
    mug = await createProduct('Mug', 1200, 10);
    tee = await createProduct('Tee', 2500, 3);
  });
  afterAll(() => stack?.stop());

  it('starts empty, then adds, changes, removes and clears lines', async () => {
    const empty = await stack.gql(CART, {}, { token });
    expect(empty.errors).toBeUndefined();
    expect(empty.data.cart).toMatchObject({ totalQuantity: 0, lines: [] });

    await stack.gql(ADD, { productId: mug, quantity: 1 }, { token });
    const added = await stack.gql(ADD, { productId: mug, quantity: 2 }, { token });
    expect(added.data.addToCart.lines).toEqual([{ quantity: 3, product: { id: mug, name: 'Mug', priceCents: 1200, currency: 'USD', stock: { available: 10 } } }]);

    const two = await stack.gql(ADD, { productId: tee, quantity: 1 }, { token });
    expect(two.data.addToCart).toMatchObject({ totalQuantity: 4, lines: [{ product: { id: mug } }, { product: { id: tee, priceCents: 2500, stock: { available: 3 } } }] });

    const changed = await stack.gql(SET, { productId: mug, quantity: 5 }, { token });
    expect(changed.data.setCartLineQuantity.lines.map((l: any) => [l.product.id, l.quantity])).toEqual([[mug, 5], [tee, 1]]);

    const zero = await stack.gql(SET, { productId: tee, quantity: 0 }, { token });
    expect(zero.data.setCartLineQuantity.lines.map((l: any) => l.product.id)).toEqual([mug]);

    await stack.gql(ADD, { productId: tee, quantity: 2 }, { token });
    const removed = await stack.gql(REMOVE, { productId: mug }, { token });
    expect(removed.data.removeFromCart.lines.map((l: any) => [l.product.id, l.quantity])).toEqual([[tee, 2]]);

    const cleared = await stack.gql(CLEAR, {}, { token });
    expect(cleared.data.clearCart).toMatchObject({ totalQuantity: 0, lines: [] });
    expect((await stack.gql(CART, {}, { token })).data.cart.lines).toEqual([]);
  });

  it('shows the price the catalog has now, not the one when the product was added', async () => {
    const shopper = await stack.tokenFor(newId('customer'));
    await stack.gql(ADD, { productId: mug, quantity: 1 }, { token: shopper });
    const repriced = await stack.gql(UPDATE_PRODUCT, { id: mug, input: { priceCents: 1500 } }, { token: adminToken });
    expect(repriced.errors).toBeUndefined();
    const cart = await stack.gql(CART, {}, { token: shopper });
    expect(cart.data.cart.lines[0].product.priceCents).toBe(1500);
    const stored = await stack.payments.deps.service.models.carts.findOne({}).where('lines.productId').equals(mug).lean();
    expect(Object.keys(stored!.lines[0]).sort()).toEqual(['productId', 'quantity']);
  });

  it('enforces the quantity limit and refuses unknown products, changing nothing', async () => {
    const shopper = await stack.tokenFor(newId('customer'));
    await stack.gql(ADD, { productId: mug, quantity: 98 }, { token: shopper });
    const tooMany = await stack.gql(ADD, { productId: mug, quantity: 2 }, { token: shopper });
    expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'quantity' });
    const negative = await stack.gql(ADD, { productId: mug, quantity: -1 }, { token: shopper });
    expect(negative.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'quantity' });
    const unknown = await stack.gql(ADD, { productId: newId('product'), quantity: 1 }, { token: shopper });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const cart = await stack.gql(CART, {}, { token: shopper });
    expect(cart.data.cart.lines.map((l: any) => [l.product.id, l.quantity])).toEqual([[mug, 98]]);
  });

  it('concurrent additions from two tabs all count', async () => {
    const shopper = await stack.tokenFor(newId('customer'));
    await Promise.all(Array.from({ length: 6 }, () => stack.gql(ADD, { productId: tee, quantity: 1 }, { token: shopper })));
    const cart = await stack.gql(CART, {}, { token: shopper });
    expect(cart.data.cart.lines.map((l: any) => [l.product.id, l.quantity])).toEqual([[tee, 6]]);
  });

  it('ten different edits of one cart at the same moment all land: none overwrites another', async () => {
    const shopper = await stack.tokenFor(newId('customer'));
    const cap = await createProduct('Cap', 900, 50);
    await stack.gql(ADD, { productId: cap, quantity: 5 }, { token: shopper });
    const edits = [
      ...Array.from({ length: 5 }, () => stack.gql(ADD, { productId: mug, quantity: 1 }, { token: shopper })),
      ...Array.from({ length: 4 }, () => stack.gql(ADD, { productId: tee, quantity: 2 }, { token: shopper })),
      stack.gql(SET, { productId: cap, quantity: 3 }, { token: shopper }),
    ];
    for (const res of await Promise.all(edits)) expect(res.errors).toBeUndefined();
    const cart = await stack.gql(CART, {}, { token: shopper });
    const quantities = Object.fromEntries(cart.data.cart.lines.map((l: any) => [l.product.id, l.quantity]));
    expect(quantities).toEqual({ [cap]: 3, [mug]: 5, [tee]: 8 });
  });

  it('asks anonymous callers to sign in', async () => {
    const res = await stack.gql(CART);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
