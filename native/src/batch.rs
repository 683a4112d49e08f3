//! RecordBatch v2 header checks and in-place offset assignment: the Rust side of
//! src/native/batch.ts, whose `validateBatchesTs` is the specification. Same checks in the same
//! order, so the same input fails with the same error; the TypeScript wrapper turns a `Failure`
//! (a kind and up to three numbers) into the same error code and message as the twin.
//!
//! Layout (big-endian), Kafka `DefaultRecordBatch`:
//!   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8
//!   17 crc u32 (CRC-32C of bytes 21..end) | 21 attributes i16 | 23 lastOffsetDelta i32
//!   27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16
//!   53 baseSequence i32 | 57 recordsCount i32 | 61 records

use crate::crc32c;

const BATCH_LENGTH: usize = 8;
const PARTITION_LEADER_EPOCH: usize = 12;
const MAGIC: usize = 16;
const CRC: usize = 17;
const ATTRIBUTES: usize = 21;
const LAST_OFFSET_DELTA: usize = 23;
const BASE_TIMESTAMP: usize = 27;
const MAX_TIMESTAMP: usize = 35;
const PRODUCER_ID: usize = 43;
const PRODUCER_EPOCH: usize = 51;
const BASE_SEQUENCE: usize = 53;
const RECORDS_COUNT: usize = 57;
const RECORDS: usize = 61;
const LOG_OVERHEAD: i64 = 12;
const BATCH_LENGTH_MIN: i32 = 61 - 12;

const ATTR_COMPRESSION_MASK: i16 = 0x07;
const ATTR_TIMESTAMP_TYPE: i16 = 0x08;
const ATTR_CONTROL: i16 = 0x20;
const COMPRESSION_MAX: i16 = 4; // zstd

/// Why validation failed. The numbers are part of the contract with src/native/batch.ts
/// (`FailureKind` there); `details` carries the values its message prints, in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Kind {
    Empty = 1,
    SetTooLarge = 2,       // buf length
    TruncatedHeader = 3,   // pos, remaining
    BadMagic = 4,          // magic, pos
    OldMagic = 5,          // magic
    BatchLengthSmall = 6,  // batchLength
    Partial = 7,           // pos, size, remaining
    NotOneBatch = 8,       //
    BaseOffset = 9,        // baseOffset
    TooLarge = 10,         // size
    Crc = 11,              // stored, computed
    Compression = 12,      // compression id
    NegativeCount = 13,    // recordCount (internal)
    NegativeDelta = 14,    // lastOffsetDelta (internal)
    BadDelta = 15,         // lastOffsetDelta (client)
    BadCount = 16,         // recordCount (client)
    Inconsistent = 17,     // lastOffsetDelta, recordCount
    Control = 18,          //
    NoSequence = 19,       // baseSequence, producerId
    LogAppendTime = 20,    //
    /// A malformed record in an uncompressed client batch: RECORD_KIND_BASE + the
    /// `RecordFault`; details are the walk's index, a, b (see `walk_records`).
    RecordTruncated = 41,
    RecordVarintTooLong = 42,
    RecordLength = 43,
    RecordOffsetDelta = 44,
    RecordKeyLength = 45,
    RecordValueLength = 46,
    RecordHeaderCount = 47,
    RecordHeaderKeyLength = 48,
    RecordHeaderValueLength = 49,
    RecordSizeMismatch = 50,
    RecordMissing = 51,
    RecordTrailing = 52,
    /// The caller's output had no room for another batch: a bug in the caller, not the input.
    OutputFull = 99,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: Kind,
    pub details: [i64; 3],
}

fn fail(kind: Kind, details: [i64; 3]) -> Failure {
    Failure { kind, details }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Info {
    pub position: u64,
    pub size: u64,
    pub last_offset_delta: i32,
    pub record_count: i32,
    pub attributes: i16,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// Records with a null key, or -1 when the records were not walked (compressed or internal).
    pub null_keys: i32,
    /// Least and greatest record timestamp delta of the walk; 0 when not walked.
    pub timestamp_delta_min: i64,
    pub timestamp_delta_max: i64,
}

pub struct Options {
    pub client: bool,
    /// Compared as JavaScript does (`size > max`): NaN never fails, Infinity never fails.
    pub max_batch_bytes: f64,
    /// NaN when there is no limit (JavaScript: undefined).
    pub segment_bytes: f64,
}

// Readers of big-endian fields. Callers have checked that the header is present.
fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}
fn i64_at(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

fn read_info(batch: &[u8], position: usize) -> Info {
    Info {
        position: position as u64,
        size: batch.len() as u64,
        last_offset_delta: i32_at(batch, LAST_OFFSET_DELTA),
        record_count: i32_at(batch, RECORDS_COUNT),
        attributes: i16_at(batch, ATTRIBUTES),
        base_timestamp: i64_at(batch, BASE_TIMESTAMP),
        max_timestamp: i64_at(batch, MAX_TIMESTAMP),
        producer_id: i64_at(batch, PRODUCER_ID),
        producer_epoch: i16_at(batch, PRODUCER_EPOCH),
        base_sequence: i32_at(batch, BASE_SEQUENCE),
        null_keys: -1,
        timestamp_delta_min: 0,
        timestamp_delta_max: 0,
    }
}

fn internal_problem(info: &Info) -> Option<Failure> {
    let compression = info.attributes & ATTR_COMPRESSION_MASK;
    if compression > COMPRESSION_MAX {
        return Some(fail(Kind::Compression, [compression as i64, 0, 0]));
    }
    if info.record_count < 0 {
        return Some(fail(Kind::NegativeCount, [info.record_count as i64, 0, 0]));
    }
    if info.last_offset_delta < 0 {
        return Some(fail(Kind::NegativeDelta, [info.last_offset_delta as i64, 0, 0]));
    }
    None
}

fn client_problem(info: &Info) -> Option<Failure> {
    let compression = info.attributes & ATTR_COMPRESSION_MASK;
    if compression > COMPRESSION_MAX {
        return Some(fail(Kind::Compression, [compression as i64, 0, 0]));
    }
    if info.last_offset_delta < 0 {
        return Some(fail(Kind::BadDelta, [info.last_offset_delta as i64, 0, 0]));
    }
    if info.record_count <= 0 {
        return Some(fail(Kind::BadCount, [info.record_count as i64, 0, 0]));
    }
    // Both are non-negative i32 here, so the sum cannot overflow an i64.
    if info.last_offset_delta as i64 + 1 != info.record_count as i64 {
        return Some(fail(Kind::Inconsistent, [info.last_offset_delta as i64, info.record_count as i64, 0]));
    }
    if info.attributes & ATTR_CONTROL != 0 {
        return Some(fail(Kind::Control, [0; 3]));
    }
    if info.producer_id >= 0 && info.base_sequence < 0 {
        return Some(fail(Kind::NoSequence, [info.base_sequence as i64, info.producer_id, 0]));
    }
    if info.attributes & ATTR_TIMESTAMP_TYPE != 0 {
        return Some(fail(Kind::LogAppendTime, [0; 3]));
    }
    None
}

/// Walks the concatenated batches in `buf` from byte `start` (0, or where an earlier call stopped
/// with `OutputFull`), checking each header and CRC, and hands each valid batch's fields to
/// `emit` (which may refuse: `OutputFull`). Returns the number of batches emitted.
pub fn validate(buf: &[u8], start: usize, opts: &Options, mut emit: impl FnMut(usize, &Info) -> bool) -> Result<usize, Failure> {
    let len = buf.len();
    if start == 0 {
        if len == 0 {
            return Err(fail(Kind::Empty, [0; 3]));
        }
        if (len as f64) > opts.segment_bytes {
            return Err(fail(Kind::SetTooLarge, [len as i64, 0, 0]));
        }
    }
    let mut pos = start;
    let mut count = 0usize;
    while pos < len {
        let rest = &buf[pos..];
        let remaining = rest.len();
        if remaining < MAGIC + 1 {
            return Err(fail(Kind::TruncatedHeader, [pos as i64, remaining as i64, 0]));
        }
        let magic = rest[MAGIC] as i8;
        if !(0..=2).contains(&magic) {
            return Err(fail(Kind::BadMagic, [magic as i64, pos as i64, 0]));
        }
        if magic != 2 {
            return Err(fail(Kind::OldMagic, [magic as i64, 0, 0]));
        }
        let batch_length = i32_at(rest, BATCH_LENGTH);
        if batch_length < BATCH_LENGTH_MIN {
            return Err(fail(Kind::BatchLengthSmall, [batch_length as i64, 0, 0]));
        }
        let size = LOG_OVERHEAD + batch_length as i64;
        if size > remaining as i64 {
            return Err(fail(Kind::Partial, [pos as i64, size, remaining as i64]));
        }
        if opts.client && pos > 0 {
            return Err(fail(Kind::NotOneBatch, [0; 3]));
        }
        if opts.client {
            let base_offset = i64_at(rest, 0);
            if base_offset != 0 {
                return Err(fail(Kind::BaseOffset, [base_offset, 0, 0]));
            }
        }
        if (size as f64) > opts.max_batch_bytes {
            return Err(fail(Kind::TooLarge, [size, 0, 0]));
        }
        let batch = &rest[..size as usize];
        let stored = u32_at(batch, CRC);
        let computed = crc32c::crc32c(&batch[ATTRIBUTES..]);
        if stored != computed {
            return Err(fail(Kind::Crc, [stored as i64, computed as i64, 0]));
        }
        let mut info = read_info(batch, pos);
        let problem = if opts.client { client_problem(&info) } else { internal_problem(&info) };
        if let Some(f) = problem {
            return Err(f);
        }
        if opts.client && info.attributes & ATTR_COMPRESSION_MASK == 0 {
            let walk = walk_records(&batch[RECORDS..], info.record_count).map_err(record_failure)?;
            info.null_keys = walk.null_keys;
            info.timestamp_delta_min = walk.timestamp_delta_min;
            info.timestamp_delta_max = walk.timestamp_delta_max;
        }
        if !emit(count, &info) {
            return Err(fail(Kind::OutputFull, [count as i64, 0, 0]));
        }
        count += 1;
        pos += size as usize;
    }
    Ok(count)
}

// -- records -------------------------------------------------------------------------------------
// The Rust twin of `walkRecords` in src/native/records.ts, which documents the layout and every
// check; same checks in the same order, same fault numbers and values.

/// Why a records section is malformed (`RecordFault` in records.ts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum RecordFault {
    Truncated = 1,
    VarintTooLong = 2,
    Length = 3,
    OffsetDelta = 4,
    KeyLength = 5,
    ValueLength = 6,
    HeaderCount = 7,
    HeaderKeyLength = 8,
    HeaderValueLength = 9,
    SizeMismatch = 10,
    Missing = 11,
    Trailing = 12,
}

/// A fault with the record index and up to two numbers, as records.ts reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub fault: RecordFault,
    pub index: i64,
    pub a: i64,
    pub b: i64,
}

fn fault(fault: RecordFault, index: i32, a: i64, b: i64) -> Fault {
    Fault { fault, index: index as i64, a, b }
}

fn record_failure(f: Fault) -> Failure {
    let kind = match f.fault {
        RecordFault::Truncated => Kind::RecordTruncated,
        RecordFault::VarintTooLong => Kind::RecordVarintTooLong,
        RecordFault::Length => Kind::RecordLength,
        RecordFault::OffsetDelta => Kind::RecordOffsetDelta,
        RecordFault::KeyLength => Kind::RecordKeyLength,
        RecordFault::ValueLength => Kind::RecordValueLength,
        RecordFault::HeaderCount => Kind::RecordHeaderCount,
        RecordFault::HeaderKeyLength => Kind::RecordHeaderKeyLength,
        RecordFault::HeaderValueLength => Kind::RecordHeaderValueLength,
        RecordFault::SizeMismatch => Kind::RecordSizeMismatch,
        RecordFault::Missing => Kind::RecordMissing,
        RecordFault::Trailing => Kind::RecordTrailing,
    };
    fail(kind, [f.index, f.a, f.b])
}

/// A cursor over one record or the whole section; a fault ends it.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl Cursor<'_> {
    /// Kafka's ByteUtils.readVarint: at most 5 bytes, int32 arithmetic, then zigzag.
    fn varint(&mut self) -> Result<i32, RecordFault> {
        let mut value: i32 = 0;
        let mut shift: u32 = 0;
        loop {
            if self.pos >= self.end {
                return Err(RecordFault::Truncated);
            }
            let b = self.buf[self.pos] as i32;
            self.pos += 1;
            if b & 0x80 == 0 {
                value |= b.wrapping_shl(shift);
                return Ok(((value as u32) >> 1) as i32 ^ -(value & 1));
            }
            value |= (b & 0x7f).wrapping_shl(shift);
            shift += 7;
            if shift > 28 {
                return Err(RecordFault::VarintTooLong);
            }
        }
    }

    /// Kafka's ByteUtils.readVarlong: at most 10 bytes, 64-bit arithmetic (bits past 64 are
    /// dropped), then zigzag.
    fn varlong(&mut self) -> Result<i64, RecordFault> {
        let mut raw: u64 = 0;
        for n in 0..10u32 {
            if self.pos >= self.end {
                return Err(RecordFault::Truncated);
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            raw |= ((b & 0x7f) as u64).wrapping_shl(7 * n);
            if b & 0x80 == 0 {
                return Ok((raw >> 1) as i64 ^ -((raw & 1) as i64));
            }
        }
        Err(RecordFault::VarintTooLong)
    }

    /// Skips a field of `n >= 0` bytes; false when it does not fit in the record.
    fn skip(&mut self, n: i32) -> bool {
        let n = n as usize;
        if n > self.end - self.pos {
            return false;
        }
        self.pos += n;
        true
    }
}

/// What a walk of well-formed records found (records.ts `WalkResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    pub null_keys: i32,
    /// Least and greatest timestamp delta; 0 and 0 for no records.
    pub timestamp_delta_min: i64,
    pub timestamp_delta_max: i64,
}

/// Walks `count` records filling `section` exactly; what it found, or the first fault.
pub fn walk_records(section: &[u8], count: i32) -> Result<Walk, Fault> {
    let end = section.len();
    let mut s = Cursor { buf: section, pos: 0, end };
    let mut null_keys = 0;
    let mut min = i64::MAX;
    let mut max = i64::MIN;
    for index in 0..count.max(0) {
        if s.pos >= end {
            return Err(fault(RecordFault::Missing, index, count as i64, 0));
        }
        let length = s.varint().map_err(|f| fault(f, index, 0, 0))?;
        let left = (end - s.pos) as i64;
        if length < 0 || length as i64 > left {
            return Err(fault(RecordFault::Length, index, length as i64, left));
        }
        let mut r = Cursor { buf: section, pos: s.pos, end: s.pos + length as usize };
        let (null_key, timestamp_delta) = walk_record(&mut r, index)?;
        min = min.min(timestamp_delta);
        max = max.max(timestamp_delta);
        if r.pos != r.end {
            return Err(fault(RecordFault::SizeMismatch, index, length as i64, (r.pos - s.pos) as i64));
        }
        if null_key {
            null_keys += 1;
        }
        s.pos = r.end;
    }
    if s.pos != end {
        return Err(fault(RecordFault::Trailing, count, (end - s.pos) as i64, 0));
    }
    if count <= 0 {
        return Ok(Walk { null_keys, timestamp_delta_min: 0, timestamp_delta_max: 0 });
    }
    Ok(Walk { null_keys, timestamp_delta_min: min, timestamp_delta_max: max })
}

/// The fields of one record (`r` spans its declared length); whether its key is null, and its
/// timestamp delta.
fn walk_record(r: &mut Cursor, index: i32) -> Result<(bool, i64), Fault> {
    let at = |f: RecordFault| fault(f, index, 0, 0);
    if r.pos >= r.end {
        return Err(at(RecordFault::Truncated));
    }
    r.pos += 1; // attributes
    let timestamp_delta = r.varlong().map_err(at)?;
    let offset_delta = r.varint().map_err(at)?;
    if offset_delta != index {
        return Err(fault(RecordFault::OffsetDelta, index, offset_delta as i64, 0));
    }
    let key_length = r.varint().map_err(at)?;
    if key_length < -1 || (key_length > 0 && !r.skip(key_length)) {
        return Err(fault(RecordFault::KeyLength, index, key_length as i64, 0));
    }
    let value_length = r.varint().map_err(at)?;
    if value_length < -1 || (value_length > 0 && !r.skip(value_length)) {
        return Err(fault(RecordFault::ValueLength, index, value_length as i64, 0));
    }
    let header_count = r.varint().map_err(at)?;
    if header_count < 0 || header_count as usize > r.end - r.pos {
        return Err(fault(RecordFault::HeaderCount, index, header_count as i64, 0));
    }
    for _ in 0..header_count {
        let key_length = r.varint().map_err(at)?;
        if key_length < 0 || !r.skip(key_length) {
            return Err(fault(RecordFault::HeaderKeyLength, index, key_length as i64, 0));
        }
        let value_length = r.varint().map_err(at)?;
        if value_length < -1 || (value_length > 0 && !r.skip(value_length)) {
            return Err(fault(RecordFault::HeaderValueLength, index, value_length as i64, 0));
        }
    }
    Ok((key_length == -1, timestamp_delta))
}

/// Bytes per batch in the output record read by src/native/batch.ts (native-endian):
///   0 position f64 | 8 size f64 | 16 baseTimestamp i64 | 24 maxTimestamp i64 | 32 producerId i64
///   40 lastOffsetDelta i32 | 44 recordCount i32 | 48 attributes i32 | 52 producerEpoch i32
///   56 baseSequence i32 | 60 nullKeys i32 (-1: records not walked)
///   64 timestampDeltaMin i64 | 72 timestampDeltaMax i64 (0 when not walked)
/// On failure, the first record holds the failure's details as i64 at 16, 24 and 32.
pub const OUT_STRIDE: usize = 80;

pub fn write_info(out: &mut [u8], info: &Info) {
    out[0..8].copy_from_slice(&(info.position as f64).to_ne_bytes());
    out[8..16].copy_from_slice(&(info.size as f64).to_ne_bytes());
    out[16..24].copy_from_slice(&info.base_timestamp.to_ne_bytes());
    out[24..32].copy_from_slice(&info.max_timestamp.to_ne_bytes());
    out[32..40].copy_from_slice(&info.producer_id.to_ne_bytes());
    out[40..44].copy_from_slice(&info.last_offset_delta.to_ne_bytes());
    out[44..48].copy_from_slice(&info.record_count.to_ne_bytes());
    out[48..52].copy_from_slice(&(info.attributes as i32).to_ne_bytes());
    out[52..56].copy_from_slice(&(info.producer_epoch as i32).to_ne_bytes());
    out[56..60].copy_from_slice(&info.base_sequence.to_ne_bytes());
    out[60..64].copy_from_slice(&info.null_keys.to_ne_bytes());
    out[64..72].copy_from_slice(&info.timestamp_delta_min.to_ne_bytes());
    out[72..80].copy_from_slice(&info.timestamp_delta_max.to_ne_bytes());
}

pub fn write_failure(out: &mut [u8], f: &Failure) {
    for (i, d) in f.details.iter().enumerate() {
        out[16 + 8 * i..24 + 8 * i].copy_from_slice(&d.to_ne_bytes());
    }
}

/// Validates from `start` into the output record array; returns the batch count, or -kind on
/// failure with the details in the first record. `OutputFull` (every record of `out` filled, more
/// batches follow) writes no details: the caller takes the records and calls again from the end of
/// the last one.
pub fn validate_into(buf: &[u8], start: usize, opts: &Options, out: &mut [u8]) -> i32 {
    let result = validate(buf, start, opts, |i, info| match out.get_mut(i * OUT_STRIDE..(i + 1) * OUT_STRIDE) {
        Some(slot) => {
            write_info(slot, info);
            true
        }
        None => false,
    });
    match result {
        Ok(n) => i32::try_from(n).unwrap_or(i32::MAX),
        Err(f) => {
            if f.kind != Kind::OutputFull {
                if let Some(slot) = out.get_mut(..OUT_STRIDE) {
                    write_failure(slot, &f);
                }
            }
            -(f.kind as i32)
        }
    }
}

/// Overwrites baseOffset and partitionLeaderEpoch of the batch at `position` (outside the CRC, so
/// the batch stays valid). None when the header is not inside `buf`.
pub fn assign_offsets(buf: &mut [u8], position: usize, base_offset: i64, leader_epoch: i32) -> Option<()> {
    let header = buf.get_mut(position..position.checked_add(PARTITION_LEADER_EPOCH + 4)?)?;
    header[0..8].copy_from_slice(&base_offset.to_be_bytes());
    header[PARTITION_LEADER_EPOCH..PARTITION_LEADER_EPOCH + 4].copy_from_slice(&leader_epoch.to_be_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid client batch of `records` records in `body` bytes (at least 7 per record): each
    /// record has a null key and an empty value, the last one's value takes the spare bytes.
    fn batch(records: i32, body: usize) -> Vec<u8> {
        let size = 61 + body;
        let mut b = vec![0u8; size];
        b[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&((size - 12) as i32).to_be_bytes());
        b[PARTITION_LEADER_EPOCH..PARTITION_LEADER_EPOCH + 4].copy_from_slice(&(-1i32).to_be_bytes());
        b[MAGIC] = 2;
        b[LAST_OFFSET_DELTA..LAST_OFFSET_DELTA + 4].copy_from_slice(&(records - 1).to_be_bytes());
        b[BASE_TIMESTAMP..BASE_TIMESTAMP + 8].copy_from_slice(&1000i64.to_be_bytes());
        b[MAX_TIMESTAMP..MAX_TIMESTAMP + 8].copy_from_slice(&1005i64.to_be_bytes());
        b[PRODUCER_ID..PRODUCER_ID + 8].copy_from_slice(&(-1i64).to_be_bytes());
        b[PRODUCER_EPOCH..PRODUCER_EPOCH + 2].copy_from_slice(&(-1i16).to_be_bytes());
        b[BASE_SEQUENCE..BASE_SEQUENCE + 4].copy_from_slice(&(-1i32).to_be_bytes());
        b[RECORDS_COUNT..RECORDS_COUNT + 4].copy_from_slice(&records.to_be_bytes());
        let spare = body - 7 * records as usize;
        let mut at = 61;
        for i in 0..records {
            let value = if i == records - 1 { spare } else { 0 };
            let rec = [2 * (6 + value) as u8, 0, 0, (2 * i) as u8, 1, 2 * value as u8];
            b[at..at + 6].copy_from_slice(&rec);
            at += 6 + value + 1; // value bytes and headerCount 0 are already zero
        }
        recrc(&mut b);
        b
    }

    fn recrc(b: &mut [u8]) {
        let c = crc32c::crc32c(&b[ATTRIBUTES..]);
        b[CRC..CRC + 4].copy_from_slice(&c.to_be_bytes());
    }

    fn client() -> Options {
        Options { client: true, max_batch_bytes: 1e6, segment_bytes: f64::NAN }
    }
    fn internal() -> Options {
        Options { client: false, max_batch_bytes: 1e6, segment_bytes: f64::NAN }
    }

    fn run(buf: &[u8], o: &Options) -> Result<Vec<Info>, Failure> {
        let mut v = vec![];
        validate(buf, 0, o, |_, i| {
            v.push(*i);
            true
        })
        .map(|_| v)
    }

    fn kind(buf: &[u8], o: &Options) -> Kind {
        run(buf, o).expect_err("should fail").kind
    }

    #[test]
    fn valid_batch_reports_its_header() {
        let b = batch(3, 30);
        let infos = run(&b, &client()).unwrap();
        assert_eq!(infos.len(), 1);
        let i = infos[0];
        assert_eq!((i.position, i.size, i.last_offset_delta, i.record_count), (0, 91, 2, 3));
        assert_eq!((i.base_timestamp, i.max_timestamp, i.producer_id, i.producer_epoch, i.base_sequence), (1000, 1005, -1, -1, -1));
    }

    #[test]
    fn structural_failures() {
        assert_eq!(kind(&[], &client()), Kind::Empty);
        let b = batch(1, 10);
        assert_eq!(kind(&b[..16], &client()), Kind::TruncatedHeader);
        assert_eq!(kind(&b[..b.len() - 1], &client()), Kind::Partial);
        let mut m = b.clone();
        m[MAGIC] = 3;
        assert_eq!(kind(&m, &client()), Kind::BadMagic);
        m[MAGIC] = 1;
        assert_eq!(kind(&m, &client()), Kind::OldMagic);
        let mut m = b.clone();
        m[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&48i32.to_be_bytes());
        assert_eq!(kind(&m, &client()), Kind::BatchLengthSmall);
        m[BATCH_LENGTH..BATCH_LENGTH + 4].copy_from_slice(&i32::MAX.to_be_bytes());
        assert_eq!(kind(&m, &client()), Kind::Partial, "a huge batchLength does not overflow");
        let mut m = b.clone();
        *m.last_mut().unwrap() ^= 1;
        assert_eq!(kind(&m, &client()), Kind::Crc);
    }

    #[test]
    fn limits_compare_like_javascript() {
        let b = batch(1, 10);
        let o = Options { max_batch_bytes: (b.len() - 1) as f64, ..client() };
        assert_eq!(kind(&b, &o), Kind::TooLarge);
        assert!(run(&b, &Options { max_batch_bytes: b.len() as f64, ..client() }).is_ok());
        assert!(run(&b, &Options { max_batch_bytes: f64::NAN, ..client() }).is_ok(), "NaN never fails");
        let o = Options { segment_bytes: (b.len() - 1) as f64, ..client() };
        assert_eq!(kind(&b, &o), Kind::SetTooLarge);
    }

    #[test]
    fn client_rules() {
        let two = [batch(1, 14), batch(2, 14)].concat();
        assert_eq!(kind(&two, &client()), Kind::NotOneBatch);
        assert_eq!(run(&two, &internal()).unwrap().len(), 2);
        let mut m = batch(1, 14);
        m[7] = 5;
        assert_eq!(kind(&m, &client()), Kind::BaseOffset);
        assert!(run(&m, &internal()).is_ok());
        let mut m = batch(3, 21);
        m[RECORDS_COUNT + 3] = 5;
        recrc(&mut m);
        assert_eq!(kind(&m, &client()), Kind::Inconsistent);
        let mut m = batch(1, 14);
        m[ATTRIBUTES + 1] = 0x20;
        recrc(&mut m);
        assert_eq!(kind(&m, &client()), Kind::Control);
        assert!(run(&m, &internal()).is_ok());
        m[ATTRIBUTES + 1] = 0x08;
        recrc(&mut m);
        assert_eq!(kind(&m, &client()), Kind::LogAppendTime);
        m[ATTRIBUTES + 1] = 0x07;
        recrc(&mut m);
        assert_eq!(kind(&m, &client()), Kind::Compression);
        assert_eq!(kind(&m, &internal()), Kind::Compression);
        let mut m = batch(1, 14);
        m[PRODUCER_ID..PRODUCER_ID + 8].copy_from_slice(&3i64.to_be_bytes());
        recrc(&mut m);
        assert_eq!(kind(&m, &client()), Kind::NoSequence);
    }

    #[test]
    fn output_records_and_capacity() {
        let two = [batch(1, 14), batch(2, 14)].concat();
        let mut out = vec![0u8; 2 * OUT_STRIDE];
        assert_eq!(validate_into(&two, 0, &internal(), &mut out), 2);
        let second = OUT_STRIDE;
        assert_eq!(f64::from_ne_bytes(out[second..second + 8].try_into().unwrap()), 75.0);
        assert_eq!(i32::from_ne_bytes(out[second + 44..second + 48].try_into().unwrap()), 2);
        // One record of room: the first batch, then a second call from where it ended.
        let mut small = vec![0u8; OUT_STRIDE];
        assert_eq!(validate_into(&two, 0, &internal(), &mut small), -(Kind::OutputFull as i32));
        assert_eq!(f64::from_ne_bytes(small[0..8].try_into().unwrap()), 0.0, "the first record is kept");
        assert_eq!(validate_into(&two, 75, &internal(), &mut small), 1);
        assert_eq!(f64::from_ne_bytes(small[0..8].try_into().unwrap()), 75.0);
        let mut none: [u8; 0] = [];
        assert_eq!(validate_into(&two, 0, &internal(), &mut none), -(Kind::OutputFull as i32));
    }

    #[test]
    fn records_are_walked_in_client_batches() {
        let b = batch(3, 30);
        assert_eq!(run(&b, &client()).unwrap()[0].null_keys, 3, "every test record has a null key");
        assert_eq!(run(&b, &internal()).unwrap()[0].null_keys, -1, "internal batches are not walked");
        let walked = run(&b, &client()).unwrap()[0];
        assert_eq!((walked.timestamp_delta_min, walked.timestamp_delta_max), (0, 0), "the test records carry delta 0");
        let section = &b[RECORDS..];
        assert_eq!(walk_records(section, 4).unwrap_err(), Fault { fault: RecordFault::Missing, index: 3, a: 4, b: 0 });
        assert_eq!(walk_records(section, 2).unwrap_err(), Fault { fault: RecordFault::Trailing, index: 2, a: 16, b: 0 });
        let mut m = b.clone();
        m[RECORDS + 3] = 4; // the first record's offset delta: 2
        recrc(&mut m);
        assert_eq!(kind(&m, &client()), Kind::RecordOffsetDelta);
        let mut m = b.clone();
        m[RECORDS + 4] = 3; // the first record's key length: -2
        recrc(&mut m);
        assert_eq!(run(&m, &client()).unwrap_err(), fail(Kind::RecordKeyLength, [0, -2, 0]));
    }

    #[test]
    fn assign_offsets_keeps_the_crc_valid() {
        let mut b = batch(2, 14);
        assert!(assign_offsets(&mut b, 0, 1234, 7).is_some());
        assert_eq!(i64_at(&b, 0), 1234);
        assert_eq!(i32_at(&b, PARTITION_LEADER_EPOCH), 7);
        assert!(run(&b, &internal()).is_ok());
        let near_end = b.len() - 15;
        assert!(assign_offsets(&mut b, near_end, 1, 1).is_none());
        assert!(assign_offsets(&mut b, usize::MAX, 1, 1).is_none());
    }
}
