import type { Connection, Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import type { AddressDoc, CustomerDoc } from './model';

/** An address as the former `addresses` collection stored it: one document per address. */
interface LegacyAddressDoc extends AddressDoc {
  customerId: string;
  slot: number;
}

/**
 * Moves addresses saved by earlier versions (collection `addresses`, one document per address)
 * into their customer documents, oldest first. Each step is one atomic write keyed so a repeat
 * changes nothing: the push applies only while the customer lacks that address id, then the old
 * document is deleted; an interrupted run is finished by the next start. With nothing left to move
 * it costs one query. Remove once every environment has started this version.
 */
export async function moveLegacyAddresses(conn: Connection, customers: Model<CustomerDoc>, logger: Logger): Promise<number> {
  const legacy = conn.db!.collection<LegacyAddressDoc>('addresses');
  let moved = 0;
  for await (const doc of legacy.find({}).sort({ _id: 1 })) {
    const { customerId, slot: _slot, ...address } = doc;
    await customers.updateOne({ _id: customerId, 'addresses._id': { $ne: address._id } }, { $push: { addresses: address } });
    await legacy.deleteOne({ _id: doc._id });
    moved++;
  }
  if (moved) logger.info('moved saved addresses into their customer documents', { count: moved });
  return moved;
}
