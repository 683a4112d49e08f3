/**
 * Records as the tools see them: the records of fetched batches (any codec, control batches
 * skipped, aborted transactions dropped under read_committed), Kafka's default partitioner for
 * keyed records, and the consumer protocol's member assignment (for `group describe`).
 *
 * Fetched data is concatenated v2 batches whose last one may be cut short by the fetch size: a
 * partial batch at the end is not an error, it is read again from the next fetch offset.
 */
import { readRawRecords } from '../log/batch-records.js';
import { BatchField, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../log/record-batch.js';
import { ATTR_CONTROL, ATTR_TIMESTAMP_TYPE, ATTR_TRANSACTIONAL } from '../native/batch.js';
import { Reader } from '../protocol/wire.js';
import { decodeAssignment as decodeGroupAssignment } from '../group/records.js';

export interface ConsumedHeader {
  key: string;
  value: Buffer | null;
}

export interface ConsumedRecord {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: ConsumedHeader[];
}

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
}

export interface ReadResult {
  records: ConsumedRecord[];
  /** The offset after the last whole batch read (the next fetch offset); `fromOffset` when none. */
  nextOffset: bigint;
}

/** The headers section of a record as stored: headerCount varint, then key/value pairs. */
export function decodeHeaders(section: Buffer): ConsumedHeader[] {
  const r = new Reader(section);
  const n = r.varint();
  const out: ConsumedHeader[] = [];
  for (let i = 0; i < n && r.error === null; i++) {
    const keyLength = r.varint();
    const key = r.bytesView(Math.max(0, keyLength)).toString('utf8');
    const valueLength = r.varint();
    const value = valueLength < 0 ? null : r.bytesView(valueLength);
    out.push({ key, value });
  }
  r.check();
  return out;
}

/**
 * The records of fetched `data` at or after `fromOffset`. Control batches are skipped; with
 * `readCommitted`, transactional batches of the `aborted` transactions are dropped (Kafka's
 * consumer does the same with the fetch's AbortedTransactions list: a producer's batches from its
 * firstOffset up to its abort marker).
 */
export function readFetched(data: Buffer, partition: number, fromOffset: bigint, opts: { readCommitted: boolean; aborted: AbortedTxn[] }): ReadResult {
  const records: ConsumedRecord[] = [];
  const pendingAborts = [...opts.aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  let nextOffset = fromOffset;
  let pos = 0;
  while (data.length - pos >= LOG_OVERHEAD + 5) {
    const size = LOG_OVERHEAD + data.readInt32BE(pos + BatchField.batchLength);
    if (size < LOG_OVERHEAD || pos + size > data.length) break; // cut short by the fetch size
    const batch = data.subarray(pos, pos + size);
    pos += size;
    const baseOffset = batch.readBigInt64BE(BatchField.baseOffset);
    const magic = batch.readInt8(BatchField.magic);
    if (magic !== 2 || size < RECORD_BATCH_OVERHEAD) throw new Error(`partition ${partition} offset ${baseOffset}: a magic ${magic} batch (only v2 record batches are read)`);
    const lastOffset = baseOffset + BigInt(batch.readInt32BE(BatchField.lastOffsetDelta));
    if (lastOffset + 1n > nextOffset) nextOffset = lastOffset + 1n;
    const attributes = batch.readInt16BE(BatchField.attributes);
    const producerId = batch.readBigInt64BE(BatchField.producerId);
    if (opts.readCommitted) {
      while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= lastOffset) abortedProducers.add(pendingAborts.shift()!.producerId);
    }
    if (attributes & ATTR_CONTROL) {
      // An abort or commit marker ends its producer's transaction.
      abortedProducers.delete(producerId);
      continue;
    }
    if (lastOffset < fromOffset) continue;
    if (opts.readCommitted && attributes & ATTR_TRANSACTIONAL && abortedProducers.has(producerId)) continue;
    const raw = readRawRecords(batch);
    if (raw === null) throw new Error(`partition ${partition} offset ${baseOffset}: unknown compression codec ${attributes & 7}`);
    const logAppendTime = attributes & ATTR_TIMESTAMP_TYPE ? batch.readBigInt64BE(BatchField.maxTimestamp) : null;
    for (const r of raw) {
      const offset = baseOffset + BigInt(r.offsetDelta);
      if (offset < fromOffset) continue;
      records.push({ partition, offset, timestamp: logAppendTime ?? r.timestamp, key: r.key, value: r.value, headers: decodeHeaders(r.headers) });
    }
  }
  return { records, nextOffset };
}

/** Kafka's murmur2 (the Java client's `Utils.murmur2`, seed 0x9747b28c), as a signed 32-bit int. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = data.length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record under the Java client's default partitioner (kafkajs's too). */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** A consumer-protocol member assignment's partitions; [] when there are none or the bytes are not one. */
export function decodeAssignment(bytes: Buffer): Array<{ topic: string; partitions: number[] }> {
  return decodeGroupAssignment(bytes) ?? [];
}
