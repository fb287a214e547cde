import type { Queue } from 'bullmq';
import type { z } from 'zod';
import type { QueueDefinition } from '../../subgraphs/lib/queues';

/**
 * Adds a validated job under a job id of the test's choosing: a redelivery under another id (as
 * after the completed set was trimmed) or a job the producer would name the same way.
 */
export function addJob<S extends QueueDefinition['schema']>(queue: Queue, definition: QueueDefinition<S>, payload: z.input<S>, jobId?: string) {
  const data = definition.schema.parse(payload);
  return queue.add(definition.jobName, data, { jobId: jobId ?? definition.jobId(data) });
}
