/**
 * The records inside v2 batches, compressed or not: the record-level checks of a produced batch
 * (`checkRecords`: compressed records, keys on compacted topics) and the log cleaner's reader
 * (cleaner.ts). Every record is read by the one record walker, src/native/records.ts (native twin
 * in native/src/batch.rs for the uncompressed produce path). The fetch path never decodes records.
 *
 * Records are read into `RawRecord`s that keep the header section as raw bytes, so that a batch
 * rebuilt from some of its records (batch-rebuild.ts) carries exactly the bytes it had (header keys that are not
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
import { ErrorCode } from '../protocol/errors.js';
import { createGunzip } from 'node:zlib';
import { DecodeError } from '../protocol/wire.js';
import { DecompressedTooLargeError, decompress } from './compression.js';
import { ATTR_COMPRESSION_MASK, type BatchInfo } from '../native/batch.js';
import { RecordFault, recordFaultMessage, varlongAt, walkRecordAt, walkRecords, type RecordFields, type WalkResult } from '../native/records.js';
import { BatchField, Compression, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from './record-batch.js';

export const ATTR_DELETE_HORIZON = 0x40;

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
 * The records section of a whole batch, decompressed (at most `bytesMax` bytes); null for an
 * unknown codec. Throws DecodeError when malformed, DecompressedTooLargeError past `bytesMax`.
 */
export function recordsSection(batch: Buffer, bytesMax = limits.decompressedBatchBytesMax): Buffer | null {
  const size = checkedSize(batch);
  const codec = batch.readInt16BE(BatchField.attributes) & ATTR_COMPRESSION_MASK;
  return decompress(codec, batch.subarray(RECORD_BATCH_OVERHEAD, size), bytesMax);
}

function checkedSize(batch: Buffer): number {
  if (batch.length < RECORD_BATCH_OVERHEAD) throw new DecodeError(`batch of ${batch.length} bytes is shorter than its header`);
  const size = LOG_OVERHEAD + batch.readInt32BE(BatchField.batchLength);
  if (size < RECORD_BATCH_OVERHEAD || size > batch.length) throw new DecodeError(`batch size ${size} does not fit in ${batch.length} bytes`);
  return size;
}

function recordCount(batch: Buffer): number {
  const count = batch.readInt32BE(BatchField.recordsCount);
  if (count < 0 || count > limits.recordsPerInternalBatchMax) throw new DecodeError(`record count ${count} is negative or over the limit`);
  return count;
}

/**
 * Walks the records of `section` (the batch's records, decompressed) with the one record walker
 * (src/native/records.ts), calling `visit` for each; throws DecodeError on the first fault.
 */
export function walkSection(section: Buffer, count: number, visit?: (r: RecordFields) => void): WalkResult & { ok: true } {
  const walk = walkRecords(section, 0, section.length, count, 'stored', visit);
  if (!walk.ok) throw new DecodeError(recordFaultMessage(walk.fault, walk.index, walk.a, walk.b));
  return walk;
}

function nullableView(buf: Buffer, start: number, length: number): Buffer | null {
  return length < 0 ? null : buf.subarray(start, start + length);
}

/**
 * Every record of a whole batch (keys, values and headers are views into the batch or into its
 * decompressed copy, of at most `bytesMax` bytes); null for an unknown codec. Throws DecodeError when anything does not fit.
 */
export function readRawRecords(batch: Buffer, bytesMax = limits.decompressedBatchBytesMax): RawRecord[] | null {
  const data = recordsSection(batch, bytesMax);
  if (data === null) return null;
  const baseTimestamp = batch.readBigInt64BE(BatchField.baseTimestamp);
  const out: RawRecord[] = [];
  walkSection(data, recordCount(batch), (f) => {
    out.push({
      offsetDelta: f.offsetDelta,
      timestamp: baseTimestamp + varlongAt(data, f.timestampDeltaAt),
      key: nullableView(data, f.keyStart, f.keyLength),
      value: nullableView(data, f.valueStart, f.valueLength),
      headers: data.subarray(f.headersStart, f.end),
    });
  });
  return out;
}

// -- produce validation of the records -----------------------------------------------------------

export interface RecordCheckOptions {
  /** The topic is compacted (cleanup.policy has compact): keyless records are refused. */
  compacted: boolean;
  /** Bytes a compressed section may expand to (limits.decompressedBytesFor(message.max.bytes)). */
  decompressedBytesMax: number;
  /** For messages: "topic-partition". */
  topicPartition: string;
  /**
   * message.timestamp.before/after.max.ms for this request (KIP-937): a record whose CreateTime
   * lies more than beforeMaxMs before nowMs or afterMaxMs after it is refused. Null for
   * LogAppendTime topics.
   */
  timestampBounds?: TimestampBounds | null;
}

/** Longs, computed with as Kafka's LogValidator does (64-bit wrap included). */
export interface TimestampBounds {
  nowMs: bigint;
  beforeMaxMs: bigint;
  afterMaxMs: bigint;
}

/** Kafka's RecordBatch.NO_TIMESTAMP: a record without a time is never out of range. */
const NO_TIMESTAMP = -1n;

export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string;
}

export type RecordCheck = { ok: true } | { ok: false; errorCode: number; message: string; recordErrors: RecordError[] };

/**
 * The record-level checks of one produced batch whose header `info` validateBatches accepted:
 * the records of a compressed batch, decompressed within `decompressedBytesMax` and walked
 * (uncompressed ones were walked by validateBatches); then, on a compacted topic, every keyless
 * record named in `recordErrors`, as Kafka's LogValidator.validateKey does. Codes as Kafka:
 *  - a malformed record or compressed payload: INVALID_RECORD (Kafka: InvalidRecordException;
 *    for a payload its codec cannot read Kafka answers UNKNOWN_SERVER_ERROR, which says nothing);
 *  - records expanding past the bound: MESSAGE_TOO_LARGE, which makes the Java producer split
 *    the batch and retry (Kafka has no such bound; see limits.ts);
 *  - keyless records on a compacted topic: INVALID_RECORD with one record error per record and
 *    Kafka's summary message (librdkafka fails those records and retries the rest);
 *  - records whose time (base timestamp + delta) lies outside `timestampBounds`: INVALID_TIMESTAMP
 *    with one record error per such record, as Kafka's LogValidator checks each record (not the
 *    batch header, which a client may fill wrongly). The walk's least and greatest delta tell
 *    whether any record can be outside; only then are the records walked again to name them.
 *    A record both keyless and out of time is named for its key, as Kafka does; the code is
 *    INVALID_TIMESTAMP when any record is out of time.
 * `batch` holds exactly this batch from its first byte (`info.position` is not used). Runs on the
 * event loop or in a decompression worker (decompress-pool.ts): plain data in and out.
 */
export function checkRecords(batch: Buffer, info: BatchInfo, opts: RecordCheckOptions): RecordCheck {
  if (info.compression === Compression.none) {
    const section = batch.subarray(RECORD_BATCH_OVERHEAD, info.size);
    const walked = info.nullKeys !== -1;
    const keyless = opts.compacted && info.nullKeys !== 0;
    const late = !walked || mayBeOutside(info.baseTimestamp, info.timestampDeltaMin, info.timestampDeltaMax, opts.timestampBounds);
    return keyless || late ? recordProblems(section, info, opts) : OK;
  }
  let section: Buffer | null;
  try {
    section = recordsSection(batch, opts.decompressedBytesMax);
  } catch (e) {
    if (e instanceof DecompressedTooLargeError) return tooLarge(info.compression, opts);
    if (e instanceof DecodeError) return refused(ErrorCode.INVALID_RECORD, `The compressed records cannot be read: ${e.message}`);
    throw e;
  }
  // Never "cannot decode, so accept": every codec Kafka has is decoded here.
  if (section === null) return refused(ErrorCode.INVALID_RECORD, `Compression ${codecName(info.compression)} cannot be decoded by this broker.`);
  const walk = walkRecords(section, 0, section.length, info.recordCount, 'produced');
  if (!walk.ok) return refused(ErrorCode.INVALID_RECORD, recordFaultMessage(walk.fault, walk.index, walk.a, walk.b));
  const keyless = opts.compacted && walk.nullKeys > 0;
  const late = mayBeOutside(info.baseTimestamp, walk.timestampDeltaMin, walk.timestampDeltaMax, opts.timestampBounds);
  return keyless || late ? recordProblems(section, info, opts) : OK;
}

/**
 * Whether a record with a delta in [min, max] from `base` may lie outside the bounds: a fast,
 * conservative test in doubles (a second of slack, and anything past 2^53 counts as maybe), so
 * that `outOfTime` (exact) runs only on batches near or past a bound.
 */
function mayBeOutside(base: bigint, min: number, max: number, bounds: TimestampBounds | null | undefined): boolean {
  if (!bounds) return false;
  const low = Number(base) + min;
  const high = Number(base) + max;
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) return true;
  const now = Number(bounds.nowMs);
  return now - low >= Number(bounds.beforeMaxMs) - SLACK_MS || high - now >= Number(bounds.afterMaxMs) - SLACK_MS;
}

const SLACK_MS = 1000;

/** Kafka's recordHasInvalidTimestamp, in 64-bit arithmetic as Java's longs wrap. */
function outOfTime(timestamp: bigint, bounds: TimestampBounds | null | undefined): boolean {
  if (!bounds || timestamp === NO_TIMESTAMP) return false;
  const diff = BigInt.asIntN(64, bounds.nowMs - timestamp);
  return diff > bounds.beforeMaxMs || BigInt.asIntN(64, -diff) > bounds.afterMaxMs;
}

/** A record's time, base timestamp plus delta, wrapping as a Java long. */
function recordTime(base: bigint, delta: bigint): bigint {
  return BigInt.asIntN(64, base + delta);
}

/** Kafka's record error for a record out of time; the bounds as Kafka prints them (longs). */
function lateMessage(l: { index: number; timestamp: bigint }, b: TimestampBounds): string {
  const low = BigInt.asIntN(64, b.nowMs - b.beforeMaxMs);
  const high = BigInt.asIntN(64, b.nowMs + b.afterMaxMs);
  return `Timestamp ${l.timestamp} of message with offset ${l.index} is out of range. The timestamp should be within [${low}, ${high}]`;
}

/** The timestamp delta of the well-formed record whose length varint starts at `pos`. */
function timestampDeltaAt(buf: Buffer, pos: number): bigint {
  while (buf[pos]! & 0x80) pos++;
  return varlongAt(buf, pos + 2); // past the length's last byte and the attributes byte
}

/**
 * `checkRecords` of a gzip batch, inflating as a stream and walking each record as soon as it is
 * whole (for the decompression workers): a malformed record stops the inflation where it is met,
 * and memory holds the largest record plus a chunk rather than the whole section. Other codecs
 * (snappy and lz4 blocks, which this project decodes whole and bounded) go to `checkRecords`.
 * Same answers as `checkRecords` (src/log/decompress-pool.test.ts compares them), except for a
 * batch that is both too large and malformed early: the stream meets the bad record first.
 * `chunkBytes` (zlib's minimum is 64) is for tests that cut records across chunks.
 */
export async function checkRecordsStreamed(batch: Buffer, info: BatchInfo, opts: RecordCheckOptions, chunkBytes = STREAM_CHUNK_BYTES): Promise<RecordCheck> {
  if (info.compression !== Compression.gzip) return checkRecords(batch, info, opts);
  const records = new StreamedRecords(info.recordCount, opts, info.baseTimestamp);
  const gunzip = createGunzip({ chunkSize: chunkBytes });
  gunzip.end(batch.subarray(RECORD_BATCH_OVERHEAD, info.size));
  try {
    for await (const chunk of gunzip) {
      const problem = records.push(chunk as Buffer);
      if (problem !== null) return problem;
    }
  } catch (e) {
    return refused(ErrorCode.INVALID_RECORD, `The compressed records cannot be read: gzip: ${(e as Error).message}`);
  } finally {
    gunzip.destroy();
  }
  return records.end();
}

/** Inflated bytes handed over at a time by the gzip stream. */
const STREAM_CHUNK_BYTES = 64 * 1024;

/** The records of a section arriving in pieces, each walked by `walkRecordAt` once whole. */
class StreamedRecords {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total = 0;
  /** Bytes needed before the next record can be whole (known after a first try). */
  private needed = 1;
  private index = 0;
  private extra = 0;
  private readonly keyless: number[] = [];
  private readonly late: Array<{ index: number; timestamp: bigint }> = [];

  constructor(
    private readonly count: number,
    private readonly opts: RecordCheckOptions,
    private readonly baseTimestamp: bigint,
  ) {}

  push(chunk: Buffer): RecordCheck | null {
    this.total += chunk.length;
    if (this.total > this.opts.decompressedBytesMax) return tooLarge(Compression.gzip, this.opts);
    if (this.index >= this.count) {
      this.extra += chunk.length;
      return null;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.index < this.count && this.buffered >= this.needed) {
      const buf = this.joined();
      const r = walkRecordAt(buf, 0, buf.length, this.index, 'produced');
      if (!r.ok) {
        if (r.fault === RecordFault.length && r.a > r.b) {
          this.needed = buf.length - r.b + r.a; // the length varint, then the declared length
          return null;
        }
        if (r.fault === RecordFault.truncated && buf.length < 5) {
          this.needed = buf.length + 1; // inside the length varint
          return null;
        }
        return refused(ErrorCode.INVALID_RECORD, recordFaultMessage(r.fault, r.index, r.a, r.b));
      }
      if (r.nullKey && this.opts.compacted) this.keyless.push(this.index);
      else if (mayBeOutside(this.baseTimestamp, r.timestampDelta, r.timestampDelta, this.opts.timestampBounds)) {
        const timestamp = recordTime(this.baseTimestamp, timestampDeltaAt(buf, 0));
        if (outOfTime(timestamp, this.opts.timestampBounds)) this.late.push({ index: this.index, timestamp });
      }
      this.index++;
      this.chunks = r.next < buf.length ? [buf.subarray(r.next)] : [];
      this.buffered = buf.length - r.next;
      this.needed = 1;
      if (this.index === this.count) this.extra += this.buffered;
    }
    return null;
  }

  end(): RecordCheck {
    if (this.index < this.count) {
      if (this.buffered === 0) return refused(ErrorCode.INVALID_RECORD, recordFaultMessage(RecordFault.missing, this.index, this.count, 0));
      const buf = this.joined();
      const r = walkRecordAt(buf, 0, buf.length, this.index, 'produced');
      if (!r.ok) return refused(ErrorCode.INVALID_RECORD, recordFaultMessage(r.fault, r.index, r.a, r.b));
    }
    if (this.extra > 0) return refused(ErrorCode.INVALID_RECORD, recordFaultMessage(RecordFault.trailing, this.count, this.extra, 0));
    return this.keyless.length > 0 || this.late.length > 0 ? recordRefusal(this.keyless, this.late, this.opts) : OK;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}

function tooLarge(codec: number, opts: RecordCheckOptions): RecordCheck {
  return refused(
    ErrorCode.MESSAGE_TOO_LARGE,
    `The records of this ${codecName(codec)} batch expand to more than ${opts.decompressedBytesMax} bytes, the limit for message.max.bytes of ${opts.topicPartition}; send smaller batches.`,
  );
}

const OK: RecordCheck = { ok: true };

function refused(errorCode: number, message: string, recordErrors: RecordError[] = []): RecordCheck {
  return { ok: false, errorCode, message, recordErrors };
}

/**
 * Kafka's per-record errors for the keyless (on a compacted topic) and out-of-time records of
 * `section`, walked before and so well-formed; OK when there are none.
 */
function recordProblems(section: Buffer, info: BatchInfo, opts: RecordCheckOptions): RecordCheck {
  const keyless: number[] = [];
  const late: Array<{ index: number; timestamp: bigint }> = [];
  const walk = walkRecords(section, 0, section.length, info.recordCount, 'produced', (f) => {
    if (opts.compacted && f.keyLength === -1) keyless.push(f.index);
    else {
      const timestamp = recordTime(info.baseTimestamp, varlongAt(section, f.timestampDeltaAt));
      if (outOfTime(timestamp, opts.timestampBounds)) late.push({ index: f.index, timestamp });
    }
  });
  if (!walk.ok) return refused(ErrorCode.INVALID_RECORD, recordFaultMessage(walk.fault, walk.index, walk.a, walk.b));
  return keyless.length === 0 && late.length === 0 ? OK : recordRefusal(keyless, late, opts);
}

/**
 * One record error per keyless or out-of-time record, in record order, with Kafka's messages:
 * INVALID_TIMESTAMP when any record is out of time, else INVALID_RECORD with the summary of the
 * first three.
 */
function recordRefusal(keyless: readonly number[], late: ReadonlyArray<{ index: number; timestamp: bigint }>, opts: RecordCheckOptions): RecordCheck {
  const keyMessage = `Compacted topic cannot accept message without key in topic partition ${opts.topicPartition}.`;
  const recordErrors = [
    ...keyless.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: keyMessage })),
    ...late.map((l) => ({ batchIndex: l.index, batchIndexErrorMessage: lateMessage(l, opts.timestampBounds!) })),
  ].sort((x, y) => x.batchIndex - y.batchIndex);
  if (late.length > 0) return refused(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', recordErrors);
  const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`);
  return refused(
    ErrorCode.INVALID_RECORD,
    `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
    recordErrors,
  );
}

function codecName(codec: number): string {
  return ['none', 'gzip', 'snappy', 'lz4', 'zstd'][codec] ?? `id ${codec}`;
}

/** The delete horizon of a batch (attribute bit 6), or null when it has none. */
export function deleteHorizonOf(batch: Buffer): bigint | null {
  return (batch.readInt16BE(BatchField.attributes) & ATTR_DELETE_HORIZON) !== 0 ? batch.readBigInt64BE(BatchField.baseTimestamp) : null;
}
