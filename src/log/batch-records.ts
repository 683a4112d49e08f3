/**
 * The records inside stored v2 batches, compressed or not, for the log cleaner (cleaner.ts) and
 * the key check of compacted topics (`batchHasNullKey`). Off the hot path: the produce and fetch
 * paths never decode records.
 *
 * Records are read into `RawRecord`s that keep the header section as raw bytes, so that a batch
 * rebuilt from some of its records carries exactly the bytes it had (header keys that are not
 * valid UTF-8 included). Record layout (Kafka `DefaultRecord`): length varint | attributes int8 |
 * timestampDelta varlong | offsetDelta varint | key varbytes | value varbytes | headerCount varint |
 * headers; a null key or value has length -1.
 *
 * Delete horizon (attribute bit 6, `ATTR_DELETE_HORIZON`, Kafka 2.8+, KIP-534): set by the cleaner
 * on a batch it rewrote while keeping a tombstone; the batch's baseTimestamp then holds the time
 * from which its tombstones may be removed, and record timestamp deltas are relative to it (so
 * they may be negative), which keeps every record's timestamp what it was for any reader.
 */
import { limits } from '../config/limits.js';
import { crc32c } from '../native/crc32c.js';
import { DecodeError, Reader, Writer } from '../protocol/wire.js';
import { decompress, gzip } from './compression.js';
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE } from '../native/batch.js';
import { BatchField, Compression, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from './record-batch.js';

export const ATTR_DELETE_HORIZON = 0x40;

/** Smallest encoded record body: attributes, timestampDelta, offsetDelta, key, value, headerCount. */
const RECORD_BODY_MIN = 6;

export interface RawRecord {
  offsetDelta: number;
  /** baseTimestamp + timestampDelta as stored (a LogAppendTime batch's readers use maxTimestamp). */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** headerCount varint and the headers, as stored. */
  headers: Buffer;
}

/**
 * The records section of a whole batch, decompressed; null for an unknown codec. Throws
 * DecodeError when malformed or larger than the limit.
 */
export function recordsSection(batch: Buffer): Buffer | null {
  const size = checkedSize(batch);
  const codec = batch.readInt16BE(BatchField.attributes) & ATTR_COMPRESSION_MASK;
  return decompress(codec, batch.subarray(RECORD_BATCH_OVERHEAD, size), limits.decompressedBatchBytesMax);
}

function checkedSize(batch: Buffer): number {
  if (batch.length < RECORD_BATCH_OVERHEAD) throw new DecodeError(`batch of ${batch.length} bytes is shorter than its header`);
  const size = LOG_OVERHEAD + batch.readInt32BE(BatchField.batchLength);
  if (size < RECORD_BATCH_OVERHEAD || size > batch.length) throw new DecodeError(`batch size ${size} does not fit in ${batch.length} bytes`);
  return size;
}

function nullableBytes(r: Reader): Buffer | null {
  const n = r.varint();
  return n === -1 ? null : r.bytesView(n);
}

/**
 * Every record of a whole batch (keys, values and headers are views into the batch or into its
 * decompressed copy); null for an unknown codec. Throws DecodeError when anything does not fit.
 */
export function readRawRecords(batch: Buffer): RawRecord[] | null {
  const data = recordsSection(batch);
  if (data === null) return null;
  const count = batch.readInt32BE(BatchField.recordsCount);
  if (count < 0 || count > limits.recordsPerInternalBatchMax || count * (RECORD_BODY_MIN + 1) > data.length)
    throw new DecodeError(`record count ${count} does not fit in ${data.length} bytes or the limit`);
  const baseTimestamp = batch.readBigInt64BE(BatchField.baseTimestamp);
  const r = new Reader(data);
  const out: RawRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (r.error !== null) break;
    if (length < RECORD_BODY_MIN || length > r.remaining) throw new DecodeError(`record ${i}: length ${length} with ${r.remaining} bytes left`);
    const end = r.offset + length;
    const rr = new Reader(data, r.offset, end);
    rr.int8();
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    const key = nullableBytes(rr);
    const value = nullableBytes(rr);
    if (rr.error !== null) throw new DecodeError(`record ${i}: ${rr.error}`);
    out.push({ offsetDelta, timestamp: baseTimestamp + timestampDelta, key, value, headers: data.subarray(rr.offset, end) });
    r.offset = end;
  }
  r.check();
  return out;
}

/**
 * Whether any record of the batch has a null key: true, false, or null when the batch cannot be
 * decoded (unknown codec) or is malformed. For the produce path of compacted topics, where Kafka
 * refuses keyless records with INVALID_RECORD ("Compacted topic cannot accept message without
 * key"); call it only for such topics, as it decompresses.
 */
export function batchHasNullKey(batch: Buffer): boolean | null {
  try {
    const records = readRawRecords(batch);
    return records === null ? null : records.some((r) => r.key === null);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}

export interface RebuildOptions {
  /** Delete horizon to write (sets attribute bit 6 and baseTimestamp), or null for none. */
  deleteHorizonMs: bigint | null;
}

/**
 * A new batch with the same header as `original` but only `records` (at least one, in offset
 * order): same baseOffset, lastOffsetDelta, partition leader epoch, producer id, epoch and base
 * sequence, transactional, control and timestamp-type bits, so offsets, sequence ranges and the
 * batch's offset span stay what they were. Gzip batches are written with gzip again, every other
 * codec uncompressed (there are no snappy, lz4 or zstd encoders here). maxTimestamp is recomputed
 * from the kept records for CreateTime and kept for LogAppendTime. The CRC is computed anew.
 */
export function rebuildBatch(original: Buffer, records: readonly RawRecord[], opts: RebuildOptions): Buffer {
  if (records.length === 0) throw new Error('rebuildBatch needs at least one record');
  const attributesIn = original.readInt16BE(BatchField.attributes);
  const codec = attributesIn & ATTR_COMPRESSION_MASK;
  const logAppendTime = (attributesIn & ATTR_TIMESTAMP_TYPE) !== 0;
  const baseTimestamp = opts.deleteHorizonMs ?? original.readBigInt64BE(BatchField.baseTimestamp);
  let maxTimestamp = logAppendTime ? original.readBigInt64BE(BatchField.maxTimestamp) : -1n;
  const w = new Writer(1024);
  const body = new Writer(256);
  for (const rec of records) {
    if (!logAppendTime && rec.timestamp > maxTimestamp) maxTimestamp = rec.timestamp;
    body.offset = 0;
    body.int8(0);
    body.varlong(rec.timestamp - baseTimestamp);
    body.varint(rec.offsetDelta);
    writeNullable(body, rec.key);
    writeNullable(body, rec.value);
    body.raw(rec.headers);
    const bytes = body.finish();
    w.varint(bytes.length);
    w.raw(bytes);
  }
  const plain = w.finish();
  const outCodec = codec === Compression.gzip ? Compression.gzip : Compression.none;
  const section = outCodec === Compression.gzip ? gzip(plain) : plain;
  let attributes = (attributesIn & ~ATTR_COMPRESSION_MASK & ~ATTR_DELETE_HORIZON) | outCodec;
  if (opts.deleteHorizonMs !== null) attributes |= ATTR_DELETE_HORIZON;
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + section.length);
  original.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.batchLength);
  out.writeInt16BE(attributes, BatchField.attributes);
  out.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  out.writeInt32BE(records.length, BatchField.recordsCount);
  section.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeUInt32BE(crc32c(out, BatchField.attributes), BatchField.crc);
  return out;
}

function writeNullable(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
    return;
  }
  w.varint(b.length);
  w.raw(b);
}

/** The delete horizon of a batch (attribute bit 6), or null when it has none. */
export function deleteHorizonOf(batch: Buffer): bigint | null {
  return (batch.readInt16BE(BatchField.attributes) & ATTR_DELETE_HORIZON) !== 0 ? batch.readBigInt64BE(BatchField.baseTimestamp) : null;
}
