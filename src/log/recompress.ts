/**
 * Broker-side compression (compression.type, KIP-390 levels): the leader's rewrite of a produced
 * batch whose codec is not the topic's, as Kafka's LogValidator does on append
 * (validateMessagesAndAssignOffsetsCompressed, then buildRecordsAndAssignOffsets).
 *
 * compression.type `producer` keeps every batch as sent (the default). Any other value
 * (uncompressed, gzip, snappy, lz4, zstd) names the codec every stored batch has: a batch sent
 * with another codec is decoded and written anew with the topic's codec at the topic's level for
 * it (compression.gzip.level, compression.lz4.level, compression.zstd.level); one sent with that
 * codec is kept byte for byte (Kafka's in-place assignment, whatever level the producer used).
 *
 * The new batch, as Kafka's MemoryRecordsBuilder writes it: the same producer id, epoch, base
 * sequence, partition leader epoch and transactional, control and timestamp-type bits; records
 * numbered 0..n-1 (lastOffsetDelta n-1), each keeping its timestamp, key, value and header
 * bytes; baseTimestamp the first record's time; maxTimestamp the greatest record time for
 * CreateTime (for LogAppendTime the append stamps it, as for any batch); a new CRC. Offsets are
 * then assigned by the append like any batch's. Control batches are never rewritten (a client
 * cannot produce one, and Kafka keeps an uncompressed one as it is). A rewritten batch larger
 * than max.message.bytes is refused with MESSAGE_TOO_LARGE, and one larger than a segment with
 * RECORD_LIST_TOO_LARGE, with Kafka's messages (UnifiedLog.append re-checks sizes after a
 * recompression).
 *
 * Not done as Kafka does: Kafka also rewrites a batch of the topic's codec whose inner record
 * offsets are not 0..n-1 (written by some very old clients); the produce checks here refuse
 * those outright (records.ts).
 *
 * Runs on the event loop, after the record checks (which bounded the decompressed size) and
 * before the partition's append. The records were walked by those checks, so decoding them again
 * here cannot fail on a well-behaved broker; if it does, that is a bug and throws.
 */
import { ErrorCode } from '../protocol/errors.js';
import { validateBatches, type BatchInfo } from '../native/batch.js';
import { readRawRecords } from './batch-records.js';
import { rebuildBatch } from './batch-rebuild.js';
import { DEFAULT_LEVELS, type CompressionLevels } from './compression-encoders.js';
import { Compression } from './record-batch.js';

/** A topic's compression.type and levels: codec null for `producer`. */
export interface TargetCompression {
  codec: number | null;
  levels: CompressionLevels;
}

export const PRODUCER_COMPRESSION: TargetCompression = { codec: null, levels: DEFAULT_LEVELS };

const CODEC_BY_NAME: Readonly<Record<string, number | null>> = {
  producer: null,
  uncompressed: Compression.none,
  gzip: Compression.gzip,
  snappy: Compression.snappy,
  lz4: Compression.lz4,
  zstd: Compression.zstd,
};

/** The target of a topic's effective configs (compression.type and the three levels). */
export function targetCompressionFrom(effective: ReadonlyMap<string, string | null>): TargetCompression {
  const type = effective.get('compression.type') ?? 'producer';
  const level = (name: keyof CompressionLevels): number => {
    const v = effective.get(`compression.${name}.level`);
    return v === undefined || v === null ? DEFAULT_LEVELS[name] : Number(v);
  };
  return { codec: CODEC_BY_NAME[type] ?? null, levels: { gzip: level('gzip'), lz4: level('lz4'), zstd: level('zstd') } };
}

export interface RecompressLimits {
  /** max.message.bytes of the topic. */
  maxBatchBytes: number;
  /** segment.bytes of the topic. */
  segmentBytes: number;
  /** The bound the record checks decompressed within (limits.decompressedBytesFor). */
  decompressedBytesMax: number;
  /** "topic-partition", for messages. */
  topicPartition: string;
}

export type Recompressed = { ok: true; records: Buffer; batches: BatchInfo[] } | { ok: false; errorCode: number; message: string };

/**
 * The produced batch `records` (one batch, described by `info`, every check passed) as the topic
 * stores it: null when it is kept as sent, else the rewritten batch and its header info.
 */
export function recompressForAppend(records: Buffer, info: BatchInfo, target: TargetCompression, lim: RecompressLimits): Recompressed | null {
  if (target.codec === null || target.codec === info.compression || info.isControl) return null;
  const batch = records.subarray(0, info.size);
  const raw = readRawRecords(batch, lim.decompressedBytesMax);
  if (raw === null || raw.length === 0) throw new Error(`recompression of a checked batch of ${lim.topicPartition} found ${raw === null ? 'an unknown codec' : 'no records'}`);
  const out = rebuildBatch(batch, raw, { deleteHorizonMs: null, codec: target.codec, levels: target.levels, renumber: true });
  if (out.length > lim.maxBatchBytes) {
    return {
      ok: false,
      errorCode: ErrorCode.MESSAGE_TOO_LARGE,
      message: `Message batch size is ${out.length} bytes in append to partition ${lim.topicPartition} which exceeds the maximum configured size of ${lim.maxBatchBytes}.`,
    };
  }
  if (out.length > lim.segmentBytes) {
    return {
      ok: false,
      errorCode: ErrorCode.RECORD_LIST_TOO_LARGE,
      message: `Message batch size is ${out.length} bytes in append to partition ${lim.topicPartition} which exceeds the maximum configured segment size of ${lim.segmentBytes}.`,
    };
  }
  const checked = validateBatches(out, { maxBatchBytes: lim.maxBatchBytes, segmentBytes: lim.segmentBytes });
  if (!checked.ok) throw new Error(`the recompressed batch of ${lim.topicPartition} fails its own checks: ${checked.message}`);
  return { ok: true, records: out, batches: checked.batches };
}
