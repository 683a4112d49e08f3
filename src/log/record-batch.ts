/**
 * RecordBatch v2 (magic 2): header checks for the produce path, in-place offset assignment, and a
 * small encoder/decoder for the broker's own use.
 *
 * Layout (Kafka `DefaultRecordBatch`, docs/clients-and-wire.md §3.5), big-endian:
 *
 *   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
 *   16 magic int8 | 17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16
 *   23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64
 *   51 producerEpoch int16 | 53 baseSequence int32 | 57 recordsCount int32 | 61 records
 *
 * Attributes: bits 0-2 compression, bit 3 timestamp type (1 = LogAppendTime), bit 4 transactional,
 * bit 5 control, bit 6 delete horizon present.
 *
 * Hot path (produce): `validateBatches` (src/native/batch.ts, native when the addon is loaded)
 * checks each header, runs one CRC per batch and walks the records of an uncompressed client batch
 * without building them (src/native/records.ts); `assignOffsets` overwrites baseOffset and
 * partitionLeaderEpoch, both outside the CRC, so the stored bytes stay valid without recomputing
 * it.
 *
 * Off the hot path (the broker's metadata log, tests, benchmarks): `buildRecordBatch` and
 * `decodeRecords`, uncompressed only, reading records with the one record walker
 * (src/native/records.ts). Decoding is bounded by the bytes present and by
 * `limits.recordsPerInternalBatchMax`.
 */
import { limits } from '../config/limits.js';
import { DecodeError, Reader, Writer } from '../protocol/wire.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BatchField,
  Compression,
  LOG_OVERHEAD,
  MAGIC_V2,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  type BatchInfo,
  type TimestampTypeId,
} from '../native/batch.js';
import { crc32c } from '../native/crc32c.js';
import { recordFaultMessage, varlongAt, walkRecords, type RecordFields } from '../native/records.js';

// The header layout, the validation of produced batches and offset assignment (`validateBatches`
// and `assignOffsets`, native when the addon is loaded, and their TypeScript twins) and their
// types live in src/native/batch.ts, beside the Rust port; they are re-exported here for the log
// and its callers.
export {
  BATCH_LENGTH_MIN,
  BatchField,
  FailureKind,
  Compression,
  LOG_OVERHEAD,
  MAGIC_V2,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  VALIDATE_NATIVE_MIN_BYTES,
  assignOffsets,
  assignOffsetsNative,
  assignOffsetsTs,
  readBatchInfo,
  validateBatches,
  validateBatchesNative,
  validateBatchesTs,
  type BatchInfo,
  type CompressionCodec,
  type TimestampTypeId,
  type ValidateOptions,
  type ValidateResult,
} from '../native/batch.js';

/**
 * For topics with message.timestamp.type=LogAppendTime: marks the batch LogAppendTime and sets its
 * maxTimestamp to the append time, then recomputes the CRC (both fields are covered by it). Record
 * timestamp deltas are left alone: readers take every record's timestamp from maxTimestamp when
 * the bit is set (Kafka does the same in LogValidator). Updates `info` to match.
 */
export function setLogAppendTime(buf: Buffer, info: BatchInfo, appendTimeMs: bigint): void {
  const p = info.position;
  const attributes = buf.readInt16BE(p + BatchField.attributes);
  buf.writeInt16BE(attributes | ATTR_TIMESTAMP_TYPE, p + BatchField.attributes);
  buf.writeBigInt64BE(appendTimeMs, p + BatchField.maxTimestamp);
  buf.writeUInt32BE(crc32c(buf, p + BatchField.attributes, p + info.size), p + BatchField.crc);
  info.maxTimestamp = appendTimeMs;
  info.timestampType = TimestampType.LogAppendTime;
}

/** True when the CRC of the batch at `pos` (of `size` bytes) matches its contents. */
export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return buf.readUInt32BE(pos + BatchField.crc) === crc32c(buf, pos + BatchField.attributes, pos + size);
}

// ---------------------------------------------------------------------------------------------
// Off the hot path: building and decoding uncompressed batches.

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Create time in ms; defaults to the batch's `timestampMs`. */
  timestamp?: bigint;
}

export interface BuildOptions {
  baseOffset?: bigint;
  /** -1 is what the Java producer sends; the log overwrites it on append. */
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  timestampType?: TimestampTypeId;
  /** Timestamp for records that carry none; defaults to Date.now(). */
  timestampMs?: bigint;
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  /** Views into the batch buffer, not copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export function writeNullableVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
    return;
  }
  w.varint(b.length);
  w.raw(b);
}

/** Encodes an uncompressed v2 batch with a correct CRC. At least one record. */
export function buildRecordBatch(records: readonly RecordInput[], opts: BuildOptions = {}): Buffer {
  if (records.length === 0) throw new Error('buildRecordBatch needs at least one record');
  const defaultTs = opts.timestampMs ?? BigInt(Date.now());
  const first = records[0]!;
  const baseTimestamp = first.timestamp ?? defaultTs;
  let maxTimestamp = baseTimestamp;
  const body = new Writer(1024);
  const recordsOut = new Writer(1024);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? defaultTs;
    if (ts > maxTimestamp) maxTimestamp = ts;
    body.offset = 0;
    body.int8(0);
    body.varlong(ts - baseTimestamp);
    body.varint(i);
    writeNullableVarBytes(body, r.key);
    writeNullableVarBytes(body, r.value);
    const headers = r.headers ?? [];
    body.varint(headers.length);
    for (const h of headers) {
      writeNullableVarBytes(body, Buffer.from(h.key, 'utf8'));
      writeNullableVarBytes(body, h.value);
    }
    const bytes = body.finish();
    recordsOut.varint(bytes.length);
    recordsOut.raw(bytes);
  }
  const recordBytes = recordsOut.finish();
  const out = Buffer.alloc(RECORD_BATCH_OVERHEAD + recordBytes.length);
  let attributes = 0;
  if (opts.timestampType === TimestampType.LogAppendTime) attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR_CONTROL;
  out.writeBigInt64BE(opts.baseOffset ?? 0n, BatchField.baseOffset);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.batchLength);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, BatchField.partitionLeaderEpoch);
  out.writeInt8(MAGIC_V2, BatchField.magic);
  out.writeInt16BE(attributes, BatchField.attributes);
  out.writeInt32BE(records.length - 1, BatchField.lastOffsetDelta);
  out.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  out.writeBigInt64BE(opts.producerId ?? -1n, BatchField.producerId);
  out.writeInt16BE(opts.producerEpoch ?? -1, BatchField.producerEpoch);
  out.writeInt32BE(opts.baseSequence ?? -1, BatchField.baseSequence);
  out.writeInt32BE(records.length, BatchField.recordsCount);
  recordBytes.copy(out, BatchField.records);
  out.writeUInt32BE(crc32c(out, BatchField.attributes), BatchField.crc);
  return out;
}

/**
 * Checks the header of one whole uncompressed v2 batch at the start of `batch` and returns its
 * record count, the end of its records and its base values. Throws DecodeError when malformed.
 */
function openRecords(batch: Buffer): { size: number; count: number; baseOffset: bigint; baseTimestamp: bigint; logAppendTime: bigint | null } {
  if (batch.length < RECORD_BATCH_OVERHEAD) throw new DecodeError(`batch of ${batch.length} bytes is shorter than its header`);
  const magic = batch.readInt8(BatchField.magic);
  if (magic !== MAGIC_V2) throw new DecodeError(`magic ${magic} is not 2`);
  const size = LOG_OVERHEAD + batch.readInt32BE(BatchField.batchLength);
  if (size < RECORD_BATCH_OVERHEAD || size > batch.length)
    throw new DecodeError(`batch size ${size} does not fit in ${batch.length} bytes`);
  const attributes = batch.readInt16BE(BatchField.attributes);
  if ((attributes & ATTR_COMPRESSION_MASK) !== Compression.none)
    throw new DecodeError('compressed batches are not decoded by the broker');
  const count = batch.readInt32BE(BatchField.recordsCount);
  if (count < 0 || count > limits.recordsPerInternalBatchMax) throw new DecodeError(`record count ${count} is negative or over the limit`);
  return {
    size,
    count,
    baseOffset: batch.readBigInt64BE(BatchField.baseOffset),
    baseTimestamp: batch.readBigInt64BE(BatchField.baseTimestamp),
    logAppendTime: attributes & ATTR_TIMESTAMP_TYPE ? batch.readBigInt64BE(BatchField.maxTimestamp) : null,
  };
}

/**
 * Walks the records of an uncompressed batch opened by `openRecords` with the one record walker
 * (src/native/records.ts); `visit` returns true to stop early. Throws DecodeError on a fault
 * met before stopping.
 */
function walkBatch(batch: Buffer, size: number, count: number, visit: (f: RecordFields) => boolean): void {
  let stopped = false;
  const walk = walkRecords(batch, RECORD_BATCH_OVERHEAD, size, count, 'stored', (f) => {
    if (!stopped) stopped = visit(f);
  });
  if (!walk.ok && !stopped) throw new DecodeError(recordFaultMessage(walk.fault, walk.index, walk.a, walk.b));
}

function nullableView(buf: Buffer, start: number, length: number): Buffer | null {
  return length < 0 ? null : buf.subarray(start, start + length);
}

/** The headers of a record the walker accepted: [start, end) holds headerCount and the headers. */
function readHeaders(buf: Buffer, start: number, end: number): RecordHeader[] {
  const r = new Reader(buf, start, end);
  const n = r.varint();
  const headers: RecordHeader[] = [];
  for (let h = 0; h < n; h++) {
    const key = r.bytesView(r.varint()).toString('utf8');
    const length = r.varint();
    headers.push({ key, value: length < 0 ? null : r.bytesView(length) });
  }
  r.check();
  return headers;
}

/**
 * Decodes the records of one whole uncompressed v2 batch (as stored or fetched). Keys, values and
 * header values are views into `batch`. Throws DecodeError when anything does not fit. Not for
 * the produce or fetch path. The CRC is not checked here.
 */
export function decodeRecords(batch: Buffer): DecodedRecord[] {
  const { size, count, baseOffset, baseTimestamp, logAppendTime } = openRecords(batch);
  const out: DecodedRecord[] = [];
  walkBatch(batch, size, count, (f) => {
    out.push({
      offset: baseOffset + BigInt(f.offsetDelta),
      timestamp: logAppendTime ?? baseTimestamp + varlongAt(batch, f.timestampDeltaAt),
      key: nullableView(batch, f.keyStart, f.keyLength),
      value: nullableView(batch, f.valueStart, f.valueLength),
      headers: f.headerCount === 0 ? [] : readHeaders(batch, f.headersStart, f.end),
    });
    return false;
  });
  return out;
}

/**
 * Offset and timestamp of the first record of an uncompressed batch with timestamp >= `targetMs`
 * and offset >= `minOffset`, or null. Skips keys, values and headers without copying them. In a
 * LogAppendTime batch every record has the batch's maxTimestamp. Throws DecodeError when malformed
 * before the record is found.
 */
export function firstRecordAtOrAfter(
  batch: Buffer,
  targetMs: bigint,
  minOffset = -1n,
): { offset: bigint; timestamp: bigint } | null {
  const { size, count, baseOffset, baseTimestamp, logAppendTime } = openRecords(batch);
  let found: { offset: bigint; timestamp: bigint } | null = null;
  walkBatch(batch, size, count, (f) => {
    const timestamp = logAppendTime ?? baseTimestamp + varlongAt(batch, f.timestampDeltaAt);
    const offset = baseOffset + BigInt(f.offsetDelta);
    if (timestamp >= targetMs && offset >= minOffset) found = { offset, timestamp };
    return found !== null;
  });
  return found;
}

/**
 * Splits concatenated whole batches (a fetch result or a stored range) into views, one per batch.
 * Throws DecodeError on a truncated or undersized batch.
 */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < LOG_OVERHEAD) throw new DecodeError(`truncated batch header at byte ${pos}`);
    const size = LOG_OVERHEAD + buf.readInt32BE(pos + BatchField.batchLength);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length)
      throw new DecodeError(`batch at byte ${pos} of ${size} bytes does not fit`);
    out.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/**
 * The prefix of concatenated whole batches whose batches all end before `endOffset`, and the
 * offset after the last batch kept (null when none is kept). Fetch cuts its reads so at the high
 * watermark or the last stable offset; only batch headers are read.
 */
export function cutBefore(buf: Buffer, endOffset: bigint): { records: Buffer; nextOffset: bigint | null } {
  let pos = 0;
  let next: bigint | null = null;
  while (buf.length - pos >= RECORD_BATCH_OVERHEAD) {
    const last = buf.readBigInt64BE(pos + BatchField.baseOffset) + BigInt(buf.readInt32BE(pos + BatchField.lastOffsetDelta));
    if (last >= endOffset) break;
    next = last + 1n;
    pos += LOG_OVERHEAD + buf.readInt32BE(pos + BatchField.batchLength);
  }
  return { records: pos >= buf.length ? buf : buf.subarray(0, pos), nextOffset: next };
}
