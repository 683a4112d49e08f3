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
 * Hot path (produce): `validateBatches` reads only headers and runs one CRC per batch;
 * `assignOffsets` overwrites baseOffset and partitionLeaderEpoch, both outside the CRC, so the
 * stored bytes stay valid without recomputing it. Records are never decoded there.
 *
 * Off the hot path (the broker's metadata log, tests, benchmarks): `buildRecordBatch` and
 * `decodeRecords`, uncompressed only. Decoding is bounded by the bytes present and by
 * `limits.recordsPerInternalBatchMax`.
 */
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import { DecodeError, Reader, Writer } from '../protocol/wire.js';
import { crc32c } from '../native/crc32c.js';

/** Byte offsets of the header fields inside a batch. */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const;

/** baseOffset + batchLength: the bytes in front of what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Size of a v2 batch header, i.e. of a batch with no records. */
export const RECORD_BATCH_OVERHEAD = 61;
/** Smallest legal batchLength of a v2 batch (the header minus LOG_OVERHEAD). */
export const BATCH_LENGTH_MIN = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
export const MAGIC_V2 = 2;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodec = 0 | 1 | 2 | 3 | 4;

/** Kafka's TimestampType ids. */
export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampTypeId = 0 | 1;

const ATTR_COMPRESSION_MASK = 0x07;
const ATTR_TIMESTAMP_TYPE = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

/** What the broker needs from one batch header. Produced by `validateBatches`, read by the log. */
export interface BatchInfo {
  /** Where the batch starts in the buffer that was validated. */
  position: number;
  /** Whole batch, LOG_OVERHEAD included. */
  size: number;
  lastOffsetDelta: number;
  recordCount: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  timestampType: TimestampTypeId;
  compression: CompressionCodec;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

export type ValidateResult =
  | { ok: true; batches: BatchInfo[] }
  | { ok: false; errorCode: number; message: string };

export interface ValidateOptions {
  /** Largest batch accepted (max.message.bytes). A larger one fails with MESSAGE_TOO_LARGE. */
  maxBatchBytes: number;
  /**
   * 'client' (default) applies the checks Kafka applies to a producer's batches (AppendOrigin
   * CLIENT): exactly one batch, baseOffset 0, record count consistent with lastOffsetDelta, no
   * control batches, a sequence when there is a producer id, no producer-set LogAppendTime.
   * 'internal' checks structure and CRC only (the broker's own batches).
   */
  origin?: 'client' | 'internal';
  /**
   * segment.bytes of the target log: a set larger than one segment can never be appended and
   * fails with RECORD_LIST_TOO_LARGE, as in Kafka.
   */
  segmentBytes?: number;
}

function fail(errorCode: number, message: string): ValidateResult {
  return { ok: false, errorCode, message };
}

/**
 * Walks the concatenated batches of a produce payload and checks each header and CRC.
 *
 * Codes follow Kafka (UnifiedLog.analyzeAndValidateRecords, LogValidator.validateBatch,
 * ProduceRequest.validateRecords, ByteBufferLogInputStream):
 *  - truncated header, batchLength too small, magic outside 0..2, bad CRC: CORRUPT_MESSAGE;
 *  - a partial trailing batch: CORRUPT_MESSAGE (Kafka silently drops the partial bytes; we refuse,
 *    since a well-behaved client never sends one);
 *  - magic 0 or 1: INVALID_RECORD (Produce v3+ admits only magic 2);
 *  - batch larger than maxBatchBytes: MESSAGE_TOO_LARGE; whole set larger than segmentBytes:
 *    RECORD_LIST_TOO_LARGE;
 *  - client origin: more than one batch, baseOffset != 0, lastOffsetDelta + 1 != recordsCount or
 *    recordsCount <= 0, control bit set, producer id without sequence: INVALID_RECORD;
 *  - client origin, producer set the LogAppendTime bit: INVALID_TIMESTAMP (Kafka reports this per
 *    record; we report it for the batch);
 *  - compression id 5..7: UNSUPPORTED_COMPRESSION_TYPE (Kafka fails with an internal error).
 * Not checked here (they need the records or topic settings): per-record timestamps against
 * message.timestamp.*.max.ms, keys on compacted topics, inner offset deltas.
 */
export function validateBatches(buf: Buffer, opts: ValidateOptions): ValidateResult {
  const client = (opts.origin ?? 'client') === 'client';
  const batches: BatchInfo[] = [];
  if (buf.length === 0) return fail(ErrorCode.INVALID_RECORD, 'no record batch in the payload');
  if (opts.segmentBytes !== undefined && buf.length > opts.segmentBytes)
    return fail(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `record set of ${buf.length} bytes exceeds segment.bytes ${opts.segmentBytes}`,
    );
  let pos = 0;
  while (pos < buf.length) {
    const remaining = buf.length - pos;
    if (remaining < BatchField.magic + 1)
      return fail(ErrorCode.CORRUPT_MESSAGE, `truncated batch header at byte ${pos}: ${remaining} bytes left`);
    const magic = buf.readInt8(pos + BatchField.magic);
    if (magic < 0 || magic > MAGIC_V2) return fail(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic} at byte ${pos}`);
    if (magic !== MAGIC_V2)
      return fail(ErrorCode.INVALID_RECORD, `only record batches with magic 2 are accepted, got magic ${magic}`);
    const batchLength = buf.readInt32BE(pos + BatchField.batchLength);
    if (batchLength < BATCH_LENGTH_MIN)
      return fail(ErrorCode.CORRUPT_MESSAGE, `batchLength ${batchLength} is below the minimum ${BATCH_LENGTH_MIN}`);
    const size = LOG_OVERHEAD + batchLength;
    if (size > remaining)
      return fail(ErrorCode.CORRUPT_MESSAGE, `partial batch at byte ${pos}: needs ${size} bytes, ${remaining} left`);
    if (client && pos > 0)
      return fail(ErrorCode.INVALID_RECORD, 'a produce request may carry exactly one record batch per partition');
    if (client && buf.readBigInt64BE(pos) !== 0n)
      return fail(ErrorCode.INVALID_RECORD, `baseOffset of a produced batch must be 0, got ${buf.readBigInt64BE(pos)}`);
    if (size > opts.maxBatchBytes)
      return fail(
        ErrorCode.MESSAGE_TOO_LARGE,
        `record batch of ${size} bytes exceeds the maximum of ${opts.maxBatchBytes}`,
      );
    const storedCrc = buf.readUInt32BE(pos + BatchField.crc);
    const computedCrc = crc32c(buf, pos + BatchField.attributes, pos + size);
    if (storedCrc !== computedCrc)
      return fail(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch is corrupt (stored crc ${storedCrc}, computed crc ${computedCrc})`,
      );
    const info = readBatchInfo(buf, pos, size);
    const problem = client ? clientBatchProblem(info) : internalBatchProblem(info);
    if (problem !== null) return fail(problem[0], problem[1]);
    batches.push(info);
    pos += size;
  }
  return { ok: true, batches };
}

/** Reads the header of the batch at `pos` (which must hold RECORD_BATCH_OVERHEAD bytes). */
export function readBatchInfo(buf: Buffer, pos: number, size: number): BatchInfo {
  const attributes = buf.readInt16BE(pos + BatchField.attributes);
  return {
    position: pos,
    size,
    lastOffsetDelta: buf.readInt32BE(pos + BatchField.lastOffsetDelta),
    recordCount: buf.readInt32BE(pos + BatchField.recordsCount),
    baseTimestamp: buf.readBigInt64BE(pos + BatchField.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(pos + BatchField.maxTimestamp),
    timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 1 : 0,
    compression: (attributes & ATTR_COMPRESSION_MASK) as CompressionCodec,
    producerId: buf.readBigInt64BE(pos + BatchField.producerId),
    producerEpoch: buf.readInt16BE(pos + BatchField.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BatchField.baseSequence),
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
  };
}

function internalBatchProblem(info: BatchInfo): [number, string] | null {
  if (info.compression > Compression.zstd)
    return [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression id ${info.compression}`];
  if (info.recordCount < 0) return [ErrorCode.CORRUPT_MESSAGE, `negative record count ${info.recordCount}`];
  if (info.lastOffsetDelta < 0)
    return [ErrorCode.CORRUPT_MESSAGE, `negative lastOffsetDelta ${info.lastOffsetDelta}`];
  return null;
}

function clientBatchProblem(info: BatchInfo): [number, string] | null {
  if (info.compression > Compression.zstd)
    return [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression id ${info.compression}`];
  if (info.lastOffsetDelta < 0)
    return [ErrorCode.INVALID_RECORD, `invalid offset range: lastOffsetDelta ${info.lastOffsetDelta}`];
  if (info.recordCount <= 0) return [ErrorCode.INVALID_RECORD, `invalid record count ${info.recordCount}`];
  if (info.lastOffsetDelta + 1 !== info.recordCount)
    return [
      ErrorCode.INVALID_RECORD,
      `inconsistent batch: lastOffsetDelta ${info.lastOffsetDelta} and ${info.recordCount} records`,
    ];
  if (info.isControl) return [ErrorCode.INVALID_RECORD, 'clients may not write control batches'];
  if (info.producerId >= 0n && info.baseSequence < 0)
    return [ErrorCode.INVALID_RECORD, `invalid sequence ${info.baseSequence} with producer id ${info.producerId}`];
  if (info.timestampType === TimestampType.LogAppendTime)
    return [ErrorCode.INVALID_TIMESTAMP, 'producers may not set the timestamp type to LogAppendTime'];
  return null;
}

/**
 * Overwrites baseOffset and partitionLeaderEpoch of one batch in place. Neither field is covered
 * by the CRC, so the batch stays valid.
 */
export function assignOffsets(buf: Buffer, info: BatchInfo, baseOffset: bigint, partitionLeaderEpoch: number): void {
  buf.writeBigInt64BE(baseOffset, info.position + BatchField.baseOffset);
  buf.writeInt32BE(partitionLeaderEpoch, info.position + BatchField.partitionLeaderEpoch);
}

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

function writeNullableVarBytes(w: Writer, b: Buffer | null): void {
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

/** Smallest encoded record: length, attributes, timestampDelta, offsetDelta, key, value, headers. */
const RECORD_BYTES_MIN = 7;

/**
 * Checks the header of one whole uncompressed v2 batch at the start of `batch` and returns a
 * reader over its records, the record count and base values. Throws DecodeError when malformed.
 */
function openRecords(batch: Buffer): { r: Reader; count: number; baseOffset: bigint; baseTimestamp: bigint; logAppendTime: bigint | null } {
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
  const available = size - RECORD_BATCH_OVERHEAD;
  if (count < 0 || count > limits.recordsPerInternalBatchMax || count * RECORD_BYTES_MIN > available)
    throw new DecodeError(`record count ${count} does not fit in ${available} bytes or the limit`);
  return {
    r: new Reader(batch, RECORD_BATCH_OVERHEAD, size),
    count,
    baseOffset: batch.readBigInt64BE(BatchField.baseOffset),
    baseTimestamp: batch.readBigInt64BE(BatchField.baseTimestamp),
    logAppendTime: attributes & ATTR_TIMESTAMP_TYPE ? batch.readBigInt64BE(BatchField.maxTimestamp) : null,
  };
}

function readNullableVarBytes(r: Reader): Buffer | null {
  const n = r.varint();
  if (n === -1) return null;
  return r.bytesView(n);
}

/**
 * Decodes the records of one whole uncompressed v2 batch (as stored or fetched). Keys, values and
 * header values are views into `batch`. Throws DecodeError when anything does not fit. Not for
 * the produce or fetch path. The CRC is not checked here.
 */
export function decodeRecords(batch: Buffer): DecodedRecord[] {
  const { r, count, baseOffset, baseTimestamp, logAppendTime } = openRecords(batch);
  const out: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (r.error !== null) break;
    if (length < RECORD_BYTES_MIN - 1 || length > r.remaining) {
      r.fail(`record length ${length} with ${r.remaining} bytes left`);
      break;
    }
    const end = r.offset + length;
    const rr = new Reader(batch, r.offset, end);
    rr.int8();
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    const key = readNullableVarBytes(rr);
    const value = readNullableVarBytes(rr);
    const headerCount = rr.varint();
    if (headerCount < 0 || headerCount * 2 > rr.remaining) rr.fail(`header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount && rr.error === null; h++) {
      const keyLength = rr.varint();
      const hk = rr.bytesView(keyLength);
      headers.push({ key: hk.toString('utf8'), value: readNullableVarBytes(rr) });
    }
    if (rr.error !== null) throw new DecodeError(`record ${i}: ${rr.error}`);
    if (rr.offset !== end) throw new DecodeError(`record ${i}: ${end - rr.offset} bytes left over`);
    r.offset = end;
    out.push({
      offset: baseOffset + BigInt(offsetDelta),
      timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  r.check();
  return out;
}

/**
 * Offset and timestamp of the first record of an uncompressed batch with timestamp >= `targetMs`
 * and offset >= `minOffset`, or null. Skips keys, values and headers without copying them. In a
 * LogAppendTime batch every record has the batch's maxTimestamp. Throws DecodeError when malformed.
 */
export function firstRecordAtOrAfter(
  batch: Buffer,
  targetMs: bigint,
  minOffset = -1n,
): { offset: bigint; timestamp: bigint } | null {
  const { r, count, baseOffset, baseTimestamp, logAppendTime } = openRecords(batch);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (r.error !== null) break;
    if (length < RECORD_BYTES_MIN - 1 || length > r.remaining) {
      r.fail(`record length ${length} with ${r.remaining} bytes left`);
      break;
    }
    const end = r.offset + length;
    const rr = new Reader(batch, r.offset, end);
    rr.int8();
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    if (rr.error !== null) throw new DecodeError(`record ${i}: ${rr.error}`);
    const timestamp = logAppendTime ?? baseTimestamp + timestampDelta;
    const offset = baseOffset + BigInt(offsetDelta);
    if (timestamp >= targetMs && offset >= minOffset) return { offset, timestamp };
    r.offset = end;
  }
  r.check();
  return null;
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
