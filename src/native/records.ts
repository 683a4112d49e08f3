/**
 * The record walker: the one reader of the records section of a v2 batch, used by produce
 * validation (batch.ts, for uncompressed batches; src/log/batch-records.ts after decompression),
 * the log cleaner and the broker's internal topics (src/log/record-batch.ts `decodeRecords`).
 * `walk_records` in native/src/batch.rs is its Rust twin and gives the same result for the same
 * bytes (src/native/records.test.ts compares them).
 *
 * Record layout (Kafka `DefaultRecord`), varints zigzag-encoded:
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint |
 *   headerCount x (headerKeyLength varint | headerKey | headerValueLength varint | headerValue)
 * A null key, value or header value has length -1.
 *
 * Checks, as Kafka's DefaultRecord.readFrom and DefaultRecordBatch's record iterator make them
 * (every one answered INVALID_RECORD by the produce path, as Kafka's InvalidRecordException is):
 *  - a varint longer than 5 bytes (10 for a varlong), or any field running past its record;
 *  - a record length that is negative or longer than the bytes left in the section;
 *  - a key or value length below -1 or past the record (Kafka reads any negative length as null;
 *    we refuse what no client writes and some consumers cannot read);
 *  - a negative header count or one larger than the record's remaining bytes; a null or negative
 *    header key length; a header value length below -1 or past the record;
 *  - a record whose fields do not fill exactly its declared length;
 *  - fewer records than the batch header counts ("premature EOF"), or bytes left after the last
 *    ("records still remaining");
 *  - 'produced' batches only: an offset delta that is not the record's index. Kafka accepts this
 *    on an uncompressed batch and rewrites a compressed one; Sluice stores batches as they came,
 *    so a wrong inner offset would reach every consumer as a wrong or repeated offset: refused.
 *    Stored batches may have gaps (the cleaner keeps the offset deltas of the records it keeps).
 * Record attributes are read but not checked (Kafka does not check them here). Timestamp deltas
 * are not checked either, but the walk returns their least and greatest (`timestampDeltaMin` and
 * `timestampDeltaMax`, 0 for no records) so the produce path can hold every record's time to
 * message.timestamp.before/after.max.ms as Kafka's LogValidator does, without a second walk.
 *
 * Bounded: each record consumes at least one byte or stops the walk, so it takes at most
 * `min(count, section bytes)` steps, and nothing is allocated from a length on the wire.
 */

/** Why a records section is malformed; the numbers are shared with `RecordFault` in batch.rs. */
export const RecordFault = {
  /** A varint or a fixed field runs past the record (index). */
  truncated: 1,
  /** A varint longer than 5 bytes or a varlong longer than 10 (index). */
  varintTooLong: 2,
  /** Record length negative or past the section (index, length, bytes left). */
  length: 3,
  /** Offset delta is not the record's index (index, offsetDelta). */
  offsetDelta: 4,
  /** Key length below -1 or past the record (index, length). */
  keyLength: 5,
  /** Value length below -1 or past the record (index, length). */
  valueLength: 6,
  /** Header count negative or larger than the record's bytes left (index, count). */
  headerCount: 7,
  /** Header key length negative (null) or past the record (index, length). */
  headerKeyLength: 8,
  /** Header value length below -1 or past the record (index, length). */
  headerValueLength: 9,
  /** The fields do not fill the record's declared length (index, length, bytes read). */
  sizeMismatch: 10,
  /** The section ends before the header's record count (records found, count). */
  missing: 11,
  /** Bytes left after the last counted record (count, bytes left). */
  trailing: 12,
} as const;
export type RecordFaultId = (typeof RecordFault)[keyof typeof RecordFault];

/** One record as the walker saw it; positions are offsets into the walked buffer. */
export interface RecordFields {
  index: number;
  attributes: number;
  offsetDelta: number;
  /** Where the timestampDelta varlong starts (decode it with `varlongAt`). */
  timestampDeltaAt: number;
  /** Key and value: start and length, or length -1 for null. */
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
  headerCount: number;
  /** The headerCount varint and the headers: [headersStart, end). */
  headersStart: number;
  end: number;
}

export type WalkResult =
  | { ok: true; nullKeys: number; timestampDeltaMin: number; timestampDeltaMax: number }
  | { ok: false; fault: RecordFaultId; index: number; a: number; b: number };

class Cursor {
  fault: RecordFaultId | 0 = 0;
  /** Set by walkRecord: the record's key is null. */
  nullKey = false;
  /** Set by walkRecord: the record's timestamp delta. */
  timestampDelta = 0;
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  /** Kafka's ByteUtils.readVarint: at most 5 bytes, int32 arithmetic, then zigzag. */
  varint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) return this.fail(RecordFault.truncated);
      const b = this.buf[this.pos++]!;
      if ((b & 0x80) === 0) {
        value |= b << shift;
        return (value >>> 1) ^ -(value & 1);
      }
      value |= (b & 0x7f) << shift;
      shift += 7;
      if (shift > 28) return this.fail(RecordFault.varintTooLong);
    }
  }

  /**
   * A zigzag varlong (at most 10 bytes) as a number: exact up to 7 bytes (49 bits), else decoded
   * as Kafka's readVarlong does (64-bit wrap) and rounded to the nearest double, as the Rust twin
   * converts its i64.
   */
  varlong(): number {
    const start = this.pos;
    let raw = 0;
    let scale = 1;
    for (let n = 0; n < 10; n++) {
      if (this.pos >= this.end) return this.fail(RecordFault.truncated);
      const b = this.buf[this.pos++]!;
      if (n < 7) raw += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return n < 7 ? (raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2) : Number(varlongAt(this.buf, start));
    }
    return this.fail(RecordFault.varintTooLong);
  }

  /** Skips `n` bytes of a field (n >= 0); false when they are not all in the record. */
  skip(n: number): boolean {
    if (n > this.end - this.pos) return false;
    this.pos += n;
    return true;
  }

  fail(f: RecordFaultId): 0 {
    if (this.fault === 0) this.fault = f;
    this.pos = this.end;
    return 0;
  }
}

/** 'produced': a batch from a client, whose offset deltas must be 0, 1, 2...; 'stored': any. */
export type WalkMode = 'produced' | 'stored';

/**
 * Walks `count` records in buf[start, end) and checks each (see the module comment); calls
 * `visit` for each well-formed record, in order, before checking the next (the fields object is
 * reused: copy what you keep). `mode` says whether offset deltas must be indexes. Returns the number of null keys, or the first fault.
 */
export function walkRecords(buf: Buffer, start: number, end: number, count: number, mode: WalkMode, visit?: (r: RecordFields) => void): WalkResult {
  const produced = mode === 'produced';
  const fields: RecordFields | null = visit === undefined ? null : emptyFields();
  let nullKeys = 0;
  let timestampDeltaMin = count > 0 ? Infinity : 0;
  let timestampDeltaMax = count > 0 ? -Infinity : 0;
  let pos = start;
  for (let index = 0; index < count; index++) {
    if (pos >= end) return fault(RecordFault.missing, index, count);
    const problem = walkOne(buf, pos, end, index, produced, fields, visit);
    if (problem !== null) return problem;
    if (step.nullKey) nullKeys++;
    if (step.timestampDelta < timestampDeltaMin) timestampDeltaMin = step.timestampDelta;
    if (step.timestampDelta > timestampDeltaMax) timestampDeltaMax = step.timestampDelta;
    pos = step.next;
  }
  if (pos !== end) return fault(RecordFault.trailing, count, end - pos);
  return { ok: true, nullKeys, timestampDeltaMin, timestampDeltaMax };
}

/** Where walkOne leaves its result (one thread, no allocation per record). */
const step = { next: 0, nullKey: false, timestampDelta: 0 };

/** The record whose length varint starts at `pos` (the section ends at `end`); sets `step`. */
function walkOne(buf: Buffer, pos: number, end: number, index: number, produced: boolean, fields: RecordFields | null, visit?: (r: RecordFields) => void): WalkResult | null {
  const section = new Cursor(buf, pos, end);
  const length = section.varint();
  if (section.fault !== 0) return fault(section.fault, index);
  const left = end - section.pos;
  if (length < 0 || length > left) return fault(RecordFault.length, index, length, left);
  const r = new Cursor(buf, section.pos, section.pos + length);
  const problem = walkRecord(r, index, produced, fields);
  if (problem !== null) return problem;
  if (r.pos !== r.end) return fault(RecordFault.sizeMismatch, index, length, r.pos - section.pos);
  if (fields !== null) {
    fields.end = r.end;
    visit!(fields);
  }
  step.next = r.end;
  step.nullKey = r.nullKey;
  step.timestampDelta = r.timestampDelta;
  return null;
}

/**
 * One record, for a reader that gets the section in pieces (a decompression stream): the record
 * whose length varint starts at `pos` of buf[pos, end), checked as `walkRecords` checks the
 * record at `index`. Returns where it ends, whether its key is null and its timestamp delta, or
 * the fault.
 */
export function walkRecordAt(
  buf: Buffer,
  pos: number,
  end: number,
  index: number,
  mode: WalkMode,
  visit?: (r: RecordFields) => void,
): { ok: true; next: number; nullKey: boolean; timestampDelta: number } | (WalkResult & { ok: false }) {
  const problem = walkOne(buf, pos, end, index, mode === 'produced', visit === undefined ? null : emptyFields(), visit);
  if (problem !== null) return problem as WalkResult & { ok: false };
  return { ok: true, next: step.next, nullKey: step.nullKey, timestampDelta: step.timestampDelta };
}

/** The fields of one record, `r` spanning exactly its declared length. */
function walkRecord(r: Cursor, index: number, produced: boolean, fields: RecordFields | null): WalkResult | null {
  if (r.pos >= r.end) return fault(RecordFault.truncated, index);
  const attributes = r.buf[r.pos++]!;
  const timestampDeltaAt = r.pos;
  r.timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  if (r.fault !== 0) return fault(r.fault, index);
  if (produced && offsetDelta !== index) return fault(RecordFault.offsetDelta, index, offsetDelta);
  const keyLength = r.varint();
  const keyStart = r.pos;
  if (r.fault !== 0) return fault(r.fault, index);
  if (keyLength < -1 || (keyLength > 0 && !r.skip(keyLength))) return fault(RecordFault.keyLength, index, keyLength);
  const valueLength = r.varint();
  const valueStart = r.pos;
  if (r.fault !== 0) return fault(r.fault, index);
  if (valueLength < -1 || (valueLength > 0 && !r.skip(valueLength))) return fault(RecordFault.valueLength, index, valueLength);
  const headersStart = r.pos;
  const headerCount = r.varint();
  if (r.fault !== 0) return fault(r.fault, index);
  if (headerCount < 0 || headerCount > r.end - r.pos) return fault(RecordFault.headerCount, index, headerCount);
  for (let h = 0; h < headerCount; h++) {
    const problem = walkHeader(r, index);
    if (problem !== null) return problem;
  }
  r.nullKey = keyLength === -1;
  if (fields !== null) {
    fields.index = index;
    fields.attributes = attributes;
    fields.offsetDelta = offsetDelta;
    fields.timestampDeltaAt = timestampDeltaAt;
    fields.keyStart = keyStart;
    fields.keyLength = keyLength;
    fields.valueStart = valueStart;
    fields.valueLength = valueLength;
    fields.headerCount = headerCount;
    fields.headersStart = headersStart;
  }
  return null;
}

function walkHeader(r: Cursor, index: number): WalkResult | null {
  const keyLength = r.varint();
  if (r.fault !== 0) return fault(r.fault, index);
  if (keyLength < 0 || !r.skip(keyLength)) return fault(RecordFault.headerKeyLength, index, keyLength);
  const valueLength = r.varint();
  if (r.fault !== 0) return fault(r.fault, index);
  if (valueLength < -1 || (valueLength > 0 && !r.skip(valueLength))) return fault(RecordFault.headerValueLength, index, valueLength);
  return null;
}

function fault(f: RecordFaultId, index: number, a = 0, b = 0): WalkResult {
  return { ok: false, fault: f, index, a, b };
}

function emptyFields(): RecordFields {
  return { index: 0, attributes: 0, offsetDelta: 0, timestampDeltaAt: 0, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: -1, headerCount: 0, headersStart: 0, end: 0 };
}

/** The message a fault prints (the produce path's error message, and DecodeError's text). */
export function recordFaultMessage(f: RecordFaultId, index: number, a: number, b: number): string {
  switch (f) {
    case RecordFault.truncated:
      return `Found invalid record structure: record ${index} ends inside a field`;
    case RecordFault.varintTooLong:
      return `Found invalid record structure: record ${index} has a varint that is too long`;
    case RecordFault.length:
      // A negative length is wrong whatever follows: the bytes left are not printed, so that a
      // reader of a stream (which does not know them yet) says the same.
      if (a < 0) return `Invalid record size: record ${index} declares a negative length ${a}`;
      return `Invalid record size: record ${index} declares ${a} bytes, but the batch has only ${b} remaining bytes`;
    case RecordFault.offsetDelta:
      return `Record ${index} has offset delta ${a}; the offset delta of each record must be its index in the batch`;
    case RecordFault.keyLength:
      return `Record ${index} has invalid key length ${a}`;
    case RecordFault.valueLength:
      return `Record ${index} has invalid value length ${a}`;
    case RecordFault.headerCount:
      return `Found invalid number of record headers ${a} in record ${index}`;
    case RecordFault.headerKeyLength:
      return `Invalid header key size ${a} in record ${index} (header keys may not be null)`;
    case RecordFault.headerValueLength:
      return `Invalid header value size ${a} in record ${index}`;
    case RecordFault.sizeMismatch:
      return `Invalid record size: expected to read ${a} bytes in record ${index}, but instead read ${b}`;
    case RecordFault.missing:
      return `Incorrect declared batch size, premature EOF reached: ${index} of ${a} records present`;
    case RecordFault.trailing:
      return `Incorrect declared batch size, records still remaining in file: ${a} bytes after record ${index - 1}`;
  }
}

/** The zigzag varlong at `pos` (at most 10 bytes; the walker has checked it). */
export function varlongAt(buf: Buffer, pos: number): bigint {
  let raw = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const b = buf[pos++]!;
    raw |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
  }
  raw = BigInt.asUintN(64, raw);
  return (raw >> 1n) ^ -(raw & 1n);
}
