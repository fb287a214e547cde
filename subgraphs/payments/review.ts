import type { Model } from 'mongoose';
import type { PaymentDoc, ReviewFlag } from './model';

/**
 * Marks a payment for an admin's attention (payments(filter: {needsReview: true})), once per
 * Stripe event: the event id in the filter makes a redelivery change nothing.
 */
export async function flagForReview(payments: Model<PaymentDoc>, paymentId: string, flag: ReviewFlag): Promise<void> {
  await payments.updateOne({ _id: paymentId, 'reviewFlags.eventId': { $ne: flag.eventId } }, { $push: { reviewFlags: flag }, $set: { needsReview: true } });
}
