/**
 * Reading a topic back with kafkajs, for the tests that check what a cluster kept: a fresh group
 * consumer from the beginning, until `want` records have come, then `settleMs` more, so that a
 * record beyond `want` (a duplicate) would show too.
 */
import type { Kafka } from 'kafkajs';

export interface ReadOptions {
  /** The consumer group (default: a new one each call). */
  groupId?: string;
  /** How many records to wait for. */
  want: number;
  /** How long to wait for them (default 30 s). */
  timeoutMs?: number;
  /** At the timeout: 'reject' (default) with how many came, or 'resolve' with those. */
  onTimeout?: 'reject' | 'resolve';
  /** read_committed (default) or read_uncommitted. */
  readUncommitted?: boolean;
  /** How long to go on reading once `want` have come (default 0). */
  settleMs?: number;
  /** What a record becomes (default: its value as text). */
  format?: (partition: number, value: string) => string;
}

export async function readAll(kafka: Kafka, topic: string, opts: ReadOptions): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: opts.groupId ?? `read-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}`, readUncommitted: opts.readUncommitted ?? false });
  const got: string[] = [];
  const format = opts.format ?? ((_: number, value: string) => value);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? 30_000;
      const timer = setTimeout(() => (opts.onTimeout === 'resolve' ? resolve() : reject(new Error(`consumed ${got.length} of ${opts.want} records of ${topic} in ${timeoutMs} ms`))), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          got.push(format(partition, message.value!.toString()));
          if (got.length === opts.want) {
            clearTimeout(timer);
            setTimeout(resolve, opts.settleMs ?? 0);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}
