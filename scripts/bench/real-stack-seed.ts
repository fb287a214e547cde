/**
 * Data for part (b) of bench:gateway, written with each domain's own models: the demo catalog
 * (categories, products with stock) and one paid order of three of its products, with its
 * customer and payment.
 */
import mongoose from 'mongoose';
import { customerModel } from '../../subgraphs/customers/model';
import { newId } from '../../subgraphs/lib/ids';
import { orderModel } from '../../subgraphs/orders/model';
import { paymentModel } from '../../subgraphs/payments/model';
import { catalogModels } from '../../subgraphs/products/model';
import { seedCatalog } from '../../subgraphs/products/seed';

export const STOREFRONT_QUERY = `query Storefront($first: Int!) {
  products(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name priceCents currency images stock { available } category { id name slug } } }
  }
}`;

export const ORDER_QUERY = `query Order($id: ID!) {
  order(id: $id) {
    id status amountCents currency
    customer { id email name }
    lines { quantity unitPriceCents product { id name priceCents stock { available } } }
    payment { id status amountCents }
  }
}`;

export async function seedRealStack(uri: string, dbPrefix: string, products: number): Promise<{ orderId: string; customerId: string }> {
  const db = (name: string) => mongoose.createConnection(uri, { dbName: `${dbPrefix}${name}` }).asPromise();
  const [customers, catalog, orders, payments] = await Promise.all(['customers', 'products', 'orders', 'payments'].map(db));
  try {
    await seedCatalog(catalog, { products });
    const picked = (await catalogModels(catalog).products.find({}, { _id: 1, name: 1, priceCents: 1 }).limit(3).lean()) as Array<{ _id: string; name: string; priceCents: number }>;
    const customerId = newId('customer');
    const paymentId = newId('payment');
    const orderId = newId('order');
    await customerModel(customers).create({ _id: customerId, email: `bench-${customerId.slice(-6)}@example.com`, name: 'Bench Customer' });
    const lines = picked.map((p, i) => ({ productId: p._id, name: p.name, unitPriceCents: p.priceCents, quantity: i + 1 }));
    const amountCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
    await paymentModel(payments).create({ _id: paymentId, customerId, status: 'SUCCEEDED', lines, amountCents, currency: 'USD', reservationId: newId('reservation') });
    await orderModel(orders).create({ _id: orderId, paymentId, customerId, status: 'PAID', lines, amountCents, currency: 'USD', reservationId: newId('reservation') });
    return { orderId, customerId };
  } finally {
    await Promise.all([customers, catalog, orders, payments].map((c) => c.close()));
  }
}
