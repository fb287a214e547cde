import { QueueKeys } from 'bullmq';
import { QUEUE_DEFINITIONS } from './index';
import { bullPrefix } from './keys';

/** What Redis Cluster hashes: the text between the first `{` and the next `}` if non-empty, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** Every key BullMQ builds for a queue: its own (wait, active, events, …) and a job's (hash, logs, lock). */
function keysOf(queuePrefix: string, queueName: string): string[] {
  const keys = new QueueKeys(bullPrefix(queuePrefix, queueName));
  // A job id may hold braces itself; the tag must still come from the prefix.
  const jobKeys = ['pay_1-succeeded', 'odd-{id}'].flatMap((id) => [keys.toKey(queueName, id), keys.toKey(queueName, `${id}:logs`), keys.toKey(queueName, `${id}:lock`)]);
  return [...Object.values(keys.getKeys(queueName)), ...jobKeys];
}

/** Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash tag, modulo 16384. */
function slotOf(key: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashTag(key))) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

const tagsOf = (queuePrefix: string, queueName: string) => new Set(keysOf(queuePrefix, queueName).map(hashTag));

describe('queue keys on Redis Cluster', () => {
  it.each(QUEUE_DEFINITIONS.map((d) => d.name))('puts every key of %s in one hash slot, tagged with the prefix and the queue', (name) => {
    expect([...tagsOf('commerce', name)]).toEqual([`commerce:${name}`]);
  });

  it('gives every queue its own tag and slot, so queues spread over the nodes', () => {
    const tags = QUEUE_DEFINITIONS.map((d) => [...tagsOf('commerce', d.name)][0]);
    expect(new Set(tags).size).toBe(QUEUE_DEFINITIONS.length);
    const slots = QUEUE_DEFINITIONS.map((d) => new Set(keysOf('commerce', d.name).map(slotOf)));
    expect(slots.every((s) => s.size === 1)).toBe(true);
    expect(new Set(slots.map((s) => [...s][0])).size).toBe(QUEUE_DEFINITIONS.length);
  });

  it('keeps two QUEUE_PREFIXes apart (tests, the chaos run) and the queue name readable in every key', () => {
    expect(bullPrefix('commerce', 'payment-results')).toBe('{commerce:payment-results}');
    expect(tagsOf('test-a', 'payment-results')).not.toEqual(tagsOf('test-b', 'payment-results'));
    for (const key of keysOf('commerce', 'payment-results')) expect(key.startsWith('{commerce:payment-results}:payment-results')).toBe(true);
  });

  it('refuses braces that would move the tag (a prefix already tagged, e.g. the old advice QUEUE_PREFIX={commerce})', () => {
    expect(() => bullPrefix('{commerce}', 'payment-results')).toThrow(/QUEUE_PREFIX must not contain/);
    expect(() => bullPrefix(bullPrefix('commerce', 'payment-results'), 'payment-results')).toThrow(/QUEUE_PREFIX/);
    expect(() => bullPrefix('commerce', 'odd}name')).toThrow(/queue name must not contain/);
  });
});
