import type { InternalCall } from '../../lib/internal-client';

/**
 * Who an email goes to. The orders domain does not keep customers' email addresses: the worker
 * asks the customers subgraph, as a SERVICE identity, through the federation entity resolver
 * (SERVICE may read a customer's private fields). Asked at send time, so a customer who changed
 * their address gets the email at the new one, and no address ever sits in a queue payload.
 */
export interface Recipient {
  email: string;
  name: string;
}

/** null: the account does not exist (nobody to write to); a thrown error: customers is unreachable (retry). */
export type RecipientLookup = (customerId: string) => Promise<Recipient | null>;

const RECIPIENT_QUERY = `query NotificationRecipient($r: [_Any!]!) {
  _entities(representations: $r) { ... on Customer { email name } }
}`;

export function recipientsFromCustomers(call: InternalCall): RecipientLookup {
  return async (customerId) => {
    const data = await call<{ _entities: Array<{ email: string | null; name: string } | null> }>(RECIPIENT_QUERY, { r: [{ __typename: 'Customer', id: customerId }] });
    const found = data._entities[0];
    return found?.email ? { email: found.email, name: found.name } : null;
  };
}
