import { Types } from 'mongoose';

/**
 * Public ids are prefixed, time-ordered strings (`ord_6650…`) rather than raw ObjectIds:
 * readable in logs, obviously typed, and never a CastError when a client sends garbage.
 */
export const ID_PREFIX = {
  customer: 'cus',
  product: 'prod',
  category: 'cat',
  order: 'ord',
  payment: 'pay',
  reservation: 'res',
  cart: 'cart',
} as const;

export function newId(kind: keyof typeof ID_PREFIX): string {
  return `${ID_PREFIX[kind]}_${new Types.ObjectId().toHexString()}`;
}
