import { z } from 'zod';
import { centsSchema } from '../money';
import { defineQueue } from './define';
import { requestIdSchema } from './snapshots';

export const refundRequestSchema = z.object({
  paymentId: z.string().min(1),
  orderId: z.string().min(1),
  /** Omitted: refund whatever is left. */
  amountCents: centsSchema.optional(),
  reason: z.enum(['order_canceled', 'oversold', 'admin']),
  requestId: requestIdSchema,
});
export type RefundRequest = z.infer<typeof refundRequestSchema>;
export const refundJobId = (r: Pick<RefundRequest, 'orderId' | 'reason'>) => `refund-${r.orderId}-${r.reason}`;


/** orders → payments: give money back (order canceled, or oversold). */
export const refundRequestsQueue = defineQueue({
  name: 'refund-requests',
  jobName: 'refund-request',
  schema: refundRequestSchema,
  jobId: refundJobId,
  money: true,
  description: 'orders → payments: refund a canceled or oversold order',
});
