/**
 * The BullMQ prefix of one queue: `{<QUEUE_PREFIX>:<queue name>}`, so its keys read
 * `{commerce:payment-results}:payment-results:wait`, `…:<jobId>`, and so on.
 *
 * Why this form: on Redis Cluster, BullMQ's Lua scripts touch many keys of one queue at once, so
 * they must all hash to one slot; Redis hashes only the text between the first `{` and the next
 * `}` when there is one (the hash tag), and BullMQ starts every key of a queue with its prefix.
 * - The tag names the queue, so each queue has its own slot and queues spread over the nodes
 *   (`{commerce}` alone would put every queue on one node).
 * - The tag includes QUEUE_PREFIX, so two stacks on one Redis (tests, the chaos run) stay apart,
 *   as before, and land on different slots too.
 * - The queue name itself stays plain: metric labels, logs, the admin views, failed-job ids in
 *   reconciliation and job ids all keep showing `payment-results`, and BullMQ forbids `:` in a
 *   name, not in a prefix.
 *
 * Every place that opens a Queue, Worker or QueueEvents passes the plain QUEUE_PREFIX through
 * this function, and only there (QueueDeps.prefix and config.queuePrefix stay plain), so a queue
 * opened anywhere meets the same keys.
 */
export function bullPrefix(queuePrefix: string, queueName: string): string {
  // A brace in either part would move or end the hash tag: a queue's keys could then be split, or
  // (a prefix already tagged, or tagged twice) every queue would share one slot.
  for (const [what, text] of [['QUEUE_PREFIX', queuePrefix], ['queue name', queueName]] as const) {
    if (/[{}]/.test(text)) throw new Error(`${what} must not contain { or } (each queue gets its own Redis Cluster hash tag): ${text}`);
  }
  return `{${queuePrefix}:${queueName}}`;
}
