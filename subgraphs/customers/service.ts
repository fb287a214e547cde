import type { Model } from 'mongoose';
import type DataLoader from 'dataloader';
import type { CustomerDoc } from './model';

/** Customer business rules; resolvers authorize, then call these. */
export function customersService(deps: { customers: Model<CustomerDoc> }) {
  return {
    findById: (loader: DataLoader<string, CustomerDoc | null>, id: string) => loader.load(id),
    models: deps,
  };
}
export type CustomersService = ReturnType<typeof customersService>;
