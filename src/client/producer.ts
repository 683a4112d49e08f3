/**
 * `sluice produce`: the lines of a stream as records of one topic.
 *
 * Each line (split at \n; a trailing \r is dropped, as Kafka's console producer reads lines) is one
 * record; with a key separator, the part before its first occurrence is the key (a line without
 * it has a null key, as kcat -K does). Every record carries the same `headers`.
 *
 * Partitions: `partition` when given; else keyed records go where the Java client's default
 * partitioner puts them (murmur2 of the key), so a Java or kafkajs consumer of a key sees what it
 * would have produced itself; unkeyed records of one flush all go to one partition, the next
 * flush to the next one (the sticky partitioner's idea: big batches, spread over time).
 *
 * Batching: records are gathered until about `flushBytes` of record data (or `flushRecords`
 * records) and sent as one batch per partition, one Produce per leader; the next flush is read
 * and built while one is in flight, and sent after it is acknowledged, so records stay in order.
 * Not idempotent: a retried batch (after a retriable error such as NOT_LEADER_OR_FOLLOWER) may be
 * written twice, as a non-idempotent Kafka producer's may.
 */
import type { Readable } from 'node:stream';
import { buildRecordBatch, type RecordHeader, type RecordInput } from '../log/record-batch.js';
import { Produce } from '../protocol/generated/index.js';
import { byLeader } from './admin.js';
import { checkRetriable, retrying, type KafkaClient, type TopicInfo } from './kafka-client.js';
import { partitionForKey } from './records.js';

export interface ProduceOptions {
  topic: string;
  keySeparator?: string;
  headers: RecordHeader[];
  partition?: number;
  /** -1 (all) or 1. */
  acks: number;
  flushBytes?: number;
  flushRecords?: number;
  /** Called after each acknowledged flush with the records acknowledged so far. */
  onProgress?: (records: number) => void;
}

export interface ProduceSummary {
  topic: string;
  records: number;
  bytes: number;
  /** Per partition: records written and the first and last offsets assigned. */
  partitions: Array<{ partition: number; records: number; firstOffset: number; lastOffset: number }>;
  ms: number;
}

/** Splits a stream into lines (Buffers without the \n and a trailing \r); the last line may lack its \n. */
export async function* lines(input: Readable): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const data: Buffer = rest.length === 0 ? Buffer.from(chunk) : Buffer.concat([rest, Buffer.from(chunk)]);
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
      const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
      yield data.subarray(start, end);
      start = nl + 1;
    }
    rest = data.subarray(start);
  }
  if (rest.length > 0) yield rest[rest.length - 1] === 0x0d ? rest.subarray(0, rest.length - 1) : rest;
}

/** A line as key and value. */
export function splitLine(line: Buffer, separator: Buffer | null): { key: Buffer | null; value: Buffer } {
  if (separator === null || separator.length === 0) return { key: null, value: line };
  const at = line.indexOf(separator);
  if (at < 0) return { key: null, value: line };
  return { key: line.subarray(0, at), value: line.subarray(at + separator.length) };
}

export async function produceLines(client: KafkaClient, input: Readable, opts: ProduceOptions): Promise<ProduceSummary> {
  const started = Date.now();
  const flushBytes = opts.flushBytes ?? 512 * 1024;
  const flushRecords = opts.flushRecords ?? 20_000;
  const separator = opts.keySeparator !== undefined ? Buffer.from(opts.keySeparator, 'utf8') : null;
  const headerBytes = opts.headers.reduce((n, h) => n + h.key.length + (h.value?.length ?? 0) + 2, 0);
  let topic = await retrying(`topic ${opts.topic}`, () => client.topic(opts.topic));
  if (opts.partition !== undefined && !topic.partitions.some((p) => p.partition === opts.partition)) {
    throw new Error(`topic ${opts.topic} has no partition ${opts.partition} (it has ${topic.partitions.length})`);
  }
  const stats = new Map<number, { records: number; first: bigint; last: bigint }>();
  let acknowledged = 0;
  let bytes = 0;
  let flushes = 0;
  let pending = new Map<number, RecordInput[]>();
  let pendingRecords = 0;
  let pendingBytes = 0;
  let inFlight: Promise<void> = Promise.resolve();

  const send = async (batches: Map<number, RecordInput[]>): Promise<void> => {
    const built = new Map<number, { batch: Buffer; count: number }>();
    for (const [p, records] of batches) built.set(p, { batch: buildRecordBatch(records), count: records.length });
    let left = [...built.keys()];
    await retrying(`produce to ${opts.topic}`, async () => {
      const failed: number[] = [];
      let retriable: unknown = null;
      await Promise.all(
        [...byLeader(topic, left)].map(async ([leader, ps]) => {
          const res = await client.to(leader, Produce, {
            transactionalId: null,
            acks: opts.acks,
            timeoutMs: 30_000,
            topicData: [{ name: opts.topic, topicId: client.topicId(opts.topic), partitionData: ps.map((p) => ({ index: p, records: built.get(p)!.batch })) }],
          });
          for (const t of res.responses)
            for (const r of t.partitionResponses) {
              try {
                checkRetriable(`produce to ${opts.topic} partition ${r.index}`, r.errorCode, r.errorMessage);
              } catch (err) {
                retriable = err;
                failed.push(r.index);
                continue;
              }
              const count = built.get(r.index)!.count;
              const s = stats.get(r.index) ?? { records: 0, first: r.baseOffset, last: r.baseOffset };
              s.records += count;
              s.last = r.baseOffset + BigInt(count - 1);
              stats.set(r.index, s);
              acknowledged += count;
            }
        }),
      );
      if (failed.length > 0) {
        left = failed;
        topic = await client.topic(opts.topic);
        throw retriable;
      }
    });
    opts.onProgress?.(acknowledged);
  };

  const flush = async (): Promise<void> => {
    if (pendingRecords === 0) return;
    const batches = pending;
    pending = new Map();
    pendingRecords = 0;
    pendingBytes = 0;
    flushes++;
    await inFlight;
    inFlight = send(batches);
    // Surface a failure now rather than at the next flush.
    inFlight.catch(() => {});
  };

  for await (const line of lines(input)) {
    const { key, value } = splitLine(line, separator);
    const partition = choosePartition(topic, opts.partition, key, flushes);
    const record: RecordInput = opts.headers.length > 0 ? { key, value, headers: opts.headers } : { key, value };
    let list = pending.get(partition);
    if (!list) pending.set(partition, (list = []));
    list.push(record);
    pendingRecords++;
    const size = (key?.length ?? 0) + value.length + headerBytes + 16;
    pendingBytes += size;
    bytes += (key?.length ?? 0) + value.length;
    if (pendingBytes >= flushBytes || pendingRecords >= flushRecords) await flush();
  }
  await flush();
  await inFlight;
  return {
    topic: opts.topic,
    records: acknowledged,
    bytes,
    partitions: [...stats.entries()].sort((a, b) => a[0] - b[0]).map(([partition, s]) => ({ partition, records: s.records, firstOffset: Number(s.first), lastOffset: Number(s.last) })),
    ms: Date.now() - started,
  };
}

function choosePartition(topic: TopicInfo, fixed: number | undefined, key: Buffer | null, flushIndex: number): number {
  if (fixed !== undefined) return fixed;
  const n = topic.partitions.length;
  if (key !== null) return partitionForKey(key, n);
  return topic.partitions[flushIndex % n]!.partition;
}
