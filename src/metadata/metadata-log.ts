/**
 * The `__cluster_metadata` log: a partition log in `<data dir>/__cluster_metadata-0` whose records
 * are the metadata records of records.ts. Each append is one batch, fsynced before the controller
 * applies it, so an acknowledged topic change survives a crash. Replay reads every batch from the
 * start into an image (the log is small: topics, partitions and configs only).
 */
import { join } from 'node:path';
import type { FileIO } from '../log/file-io.js';
import { PartitionLog } from '../log/partition-log.js';
import { buildRecordBatch, decodeRecords, validateBatches } from '../log/record-batch.js';
import type { MetadataLogWriter } from './controller.js';
import type { MetadataImage } from './image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';

export const METADATA_TOPIC = '__cluster_metadata';

/** Features recorded when a data directory is formatted. Our own metadata format version. */
export const METADATA_FEATURES: ReadonlyArray<{ name: string; level: number }> = [{ name: 'sluice.metadata.version', level: 1 }];

const REPLAY_READ_BYTES = 1024 * 1024;

export class MetadataLog implements MetadataLogWriter {
  private constructor(private readonly plog: PartitionLog) {}

  static open(dataDir: string, io: FileIO): MetadataLog {
    const plog = PartitionLog.open(join(dataDir, `${METADATA_TOPIC}-0`), {
      segmentBytes: 64 * 1024 * 1024,
      segmentMs: Number.MAX_SAFE_INTEGER,
      indexIntervalBytes: 4096,
      segmentIndexBytes: 1024 * 1024,
      flushMessages: 1,
      flushMs: Number.MAX_SAFE_INTEGER,
      messageTimestampType: 'CreateTime',
    }, io);
    return new MetadataLog(plog);
  }

  append(records: readonly MetadataRecord[]): void {
    const batch = buildRecordBatch(records.map((r) => ({ ...encodeMetadataRecord(r), timestamp: BigInt(Date.now()) })));
    const checked = validateBatches(batch, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'internal' });
    if (!checked.ok) throw new Error(`metadata batch failed its own validation: ${checked.message}`);
    this.plog.append(batch, checked.batches);
    this.plog.flush();
  }

  replay(image: MetadataImage): void {
    let offset = this.plog.logStartOffset;
    const end = this.plog.logEndOffset;
    while (offset < end) {
      const { records } = this.plog.read(offset, REPLAY_READ_BYTES, { minOneBatch: true });
      if (records.length === 0) break;
      const checked = validateBatches(records, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'internal' });
      if (!checked.ok) throw new Error(`metadata log is corrupt at offset ${offset}: ${checked.message}`);
      let pos = 0;
      for (const b of checked.batches) {
        const batch = records.subarray(pos, pos + b.size);
        pos += b.size;
        for (const rec of decodeRecords(batch)) {
          if (rec.offset < offset) continue;
          image.apply(decodeMetadataRecord(rec.key, rec.value));
          image.lastOffset = rec.offset;
          offset = rec.offset + 1n;
        }
      }
    }
  }

  close(): void {
    this.plog.close();
  }
}
