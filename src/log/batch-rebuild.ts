/**
 * Batches the broker writes anew from the records of another (read by batch-records.ts): the log
 * cleaner's rewrite of a batch it removed records from (`rebuildBatch`), and the recompression of
 * a produced batch to the topic's compression.type on append (`recompressBatch`, Kafka's
 * LogValidator.buildRecordsAndAssignOffsets). The records' key, value and header bytes are copied
 * as they were stored (RawRecord keeps the header section raw); the record attributes byte is 0,
 * as Kafka writes it. Sections are compressed by compression-encoders.ts, so this module (unlike
 * batch-records.ts) is never loaded by the decompression workers.
 */
import { crc32c } from '../native/crc32c.js';
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE } from '../native/batch.js';
import { Writer } from '../protocol/wire.js';
import { ATTR_DELETE_HORIZON, type RawRecord } from './batch-records.js';
import { compress, DEFAULT_LEVELS, type CompressionLevels } from './compression-encoders.js';
import { BatchField, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, writeNullableVarBytes } from './record-batch.js';

export interface RebuildOptions {
  /** Delete horizon to write (sets attribute bit 6 and baseTimestamp), or null for none. */
  deleteHorizonMs: bigint | null;
  /** The codec to write; the original batch's when absent. */
  codec?: number;
  /** The levels of gzip, lz4 and zstd; each codec's default (Kafka's) when absent. */
  levels?: CompressionLevels;
  /**
   * Number the records 0..n-1 and take the first record's time as baseTimestamp, as Kafka's
   * MemoryRecordsBuilder does for a recompressed batch (the cleaner keeps offsets and base time).
   */
  renumber?: boolean;
}

/**
 * A new batch with the same header as `original` but only `records` (at least one, in offset
 * order): same baseOffset, partition leader epoch, producer id, epoch and base sequence,
 * transactional, control and timestamp-type bits. Without `renumber`, lastOffsetDelta and every
 * record's offset delta stay what they were, so offsets, sequence ranges and the batch's offset
 * span are kept (the cleaner). The section is written with `opts.codec`, by default the
 * original's codec, as Kafka's cleaner does (MemoryRecords.filterTo keeps the batch's compression
 * type, at that codec's default level). maxTimestamp is recomputed from the kept records for
 * CreateTime and kept for LogAppendTime. The CRC is computed anew.
 */
export function rebuildBatch(original: Buffer, records: readonly RawRecord[], opts: RebuildOptions): Buffer {
  if (records.length === 0) throw new Error('rebuildBatch needs at least one record');
  const attributesIn = original.readInt16BE(BatchField.attributes);
  const outCodec = opts.codec ?? attributesIn & ATTR_COMPRESSION_MASK;
  const logAppendTime = (attributesIn & ATTR_TIMESTAMP_TYPE) !== 0;
  const baseTimestamp = opts.deleteHorizonMs ?? (opts.renumber ? records[0]!.timestamp : original.readBigInt64BE(BatchField.baseTimestamp));
  let maxTimestamp = logAppendTime ? original.readBigInt64BE(BatchField.maxTimestamp) : -1n;
  const w = new Writer(1024);
  const body = new Writer(256);
  records.forEach((rec, index) => {
    if (!logAppendTime && rec.timestamp > maxTimestamp) maxTimestamp = rec.timestamp;
    body.offset = 0;
    body.int8(0);
    body.varlong(rec.timestamp - baseTimestamp);
    body.varint(opts.renumber ? index : rec.offsetDelta);
    writeNullableVarBytes(body, rec.key);
    writeNullableVarBytes(body, rec.value);
    body.raw(rec.headers);
    const bytes = body.finish();
    w.varint(bytes.length);
    w.raw(bytes);
  });
  const section = compress(outCodec, w.finish(), opts.levels ?? DEFAULT_LEVELS);
  let attributes = (attributesIn & ~ATTR_COMPRESSION_MASK & ~ATTR_DELETE_HORIZON) | outCodec;
  if (opts.deleteHorizonMs !== null) attributes |= ATTR_DELETE_HORIZON;
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + section.length);
  original.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.batchLength);
  out.writeInt16BE(attributes, BatchField.attributes);
  if (opts.renumber) out.writeInt32BE(records.length - 1, BatchField.lastOffsetDelta);
  out.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  out.writeInt32BE(records.length, BatchField.recordsCount);
  section.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeUInt32BE(crc32c(out, BatchField.attributes), BatchField.crc);
  return out;
}
