/**
 * The `__cluster_metadata` log: a partition log in `<data dir>/__cluster_metadata-0` whose records
 * are the metadata records of records.ts. Each append is one batch, fsynced before the controller
 * applies it, so an acknowledged topic change survives a crash. Replay reads every batch from the
 * start into an image (the log is small: topics, partitions and configs only).
 *
 * A failed append (disk full, EIO) throws LogStorageError and leaves nothing behind that a
 * restart could replay: the log is reopened and truncated back to where it ended before the
 * append, since a write can land whole even when its fsync fails. Until that succeeds (the disk
 * may still be full), every append first retries it and fails the same way; the controller
 * applies nothing it could not append, so the image always equals the replay of the log. One
 * window remains: a crash after such a batch was written whole and before the undo completes
 * leaves it in the log, and the next start replays it as if it had been acknowledged.
 */
import { join } from 'node:path';
import type { FileIO } from '../log/file-io.js';
import { LogStorageError, PartitionLog, type LogConfig } from '../log/partition-log.js';
import { buildRecordBatch, decodeRecords, validateBatches } from '../log/record-batch.js';
import type { MetadataLogWriter } from './controller.js';
import { formatFeatures } from './features.js';
import type { MetadataImage } from './image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';

export const METADATA_TOPIC = '__cluster_metadata';

/** Features recorded when a data directory is formatted with the defaults (features.ts). */
export const METADATA_FEATURES: ReadonlyArray<{ name: string; level: number }> = formatFeatures();

const REPLAY_READ_BYTES = 1024 * 1024;

const METADATA_LOG_CONFIG: LogConfig = {
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: Number.MAX_SAFE_INTEGER,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 1024 * 1024,
  flushMessages: 1,
  flushMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
};

/** What the controller's Fetch handler reads of the metadata log. */
export interface MetadataLogReader {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  read(offset: bigint, maxBytes: number): Buffer | null;
}

export class MetadataLog implements MetadataLogWriter, MetadataLogReader {
  /** Log end offset before an append that failed and is not undone yet; null when none. */
  private failedAt: bigint | null = null;

  private constructor(
    private plog: PartitionLog,
    private readonly dir: string,
    private readonly io: FileIO,
  ) {}

  static open(dataDir: string, io: FileIO): MetadataLog {
    const dir = join(dataDir, `${METADATA_TOPIC}-0`);
    return new MetadataLog(PartitionLog.open(dir, METADATA_LOG_CONFIG, io), dir, io);
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): bigint {
    return this.plog.logEndOffset;
  }

  get logStartOffset(): bigint {
    return this.plog.logStartOffset;
  }

  /** Appends one batch durably; throws LogStorageError (and appends nothing) when it cannot. */
  append(records: readonly MetadataRecord[]): void {
    this.undoFailedAppend();
    const batch = buildRecordBatch(records.map((r) => ({ ...encodeMetadataRecord(r), timestamp: BigInt(Date.now()) })));
    const checked = validateBatches(batch, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'internal' });
    if (!checked.ok) throw new Error(`metadata batch failed its own validation: ${checked.message}`);
    const endBefore = this.plog.logEndOffset;
    try {
      this.plog.append(batch, checked.batches);
      this.plog.flush();
    } catch (e) {
      if (!(e instanceof LogStorageError)) throw e;
      this.failedAt = endBefore;
      this.tryUndo();
      throw e;
    }
  }

  /** Retries the undo of a failed append; throws LogStorageError while it still fails. */
  private undoFailedAppend(): void {
    if (this.failedAt === null) return;
    const e = this.tryUndo();
    if (e !== null) throw new LogStorageError(`the metadata log is not writable: ${e.message}`, e);
  }

  /** Reopens the log cut back to `failedAt`; returns the failure, or null once done. */
  private tryUndo(): Error | null {
    const endBefore = this.failedAt!;
    this.plog.abandon();
    try {
      let plog = PartitionLog.open(this.dir, METADATA_LOG_CONFIG, this.io);
      if (plog.logEndOffset > endBefore) {
        try {
          plog.truncateTo(endBefore);
        } finally {
          plog.abandon();
        }
        plog = PartitionLog.open(this.dir, METADATA_LOG_CONFIG, this.io);
      }
      this.plog = plog;
      this.failedAt = null;
      return null;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  replay(image: MetadataImage): void {
    this.replayFrom(image, this.plog.logStartOffset);
  }

  /**
   * Applies every record from `from` to the log end to `image`, in order; returns the records
   * applied (a broker's publisher takes them after a fetch from the controller).
   */
  replayFrom(image: MetadataImage, from: bigint): MetadataRecord[] {
    const applied: MetadataRecord[] = [];
    let offset = from;
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
          const record = decodeMetadataRecord(rec.key, rec.value);
          image.apply(record, rec.offset);
          applied.push(record);
          offset = rec.offset + 1n;
        }
      }
    }
    return applied;
  }

  /**
   * Whole batches from `offset` (as stored, for a broker fetching the log from its controller),
   * up to `maxBytes` but at least one batch; empty at the log end. Null when `offset` lies outside
   * the log.
   */
  read(offset: bigint, maxBytes: number): Buffer | null {
    if (offset < this.plog.logStartOffset || offset > this.plog.logEndOffset) return null;
    return this.plog.read(offset, maxBytes, { minOneBatch: true }).records;
  }

  /**
   * The controller's batches, fetched by a broker, appended as they are (offsets kept) and made
   * durable before they are applied. Throws LogStorageError when it cannot.
   */
  appendAsFollower(batches: Buffer): void {
    const checked = validateBatches(batches, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'replication' });
    if (!checked.ok) throw new Error(`the controller sent a metadata batch that fails its check: ${checked.message}`);
    this.plog.appendAsFollower(batches, checked.batches);
    this.plog.flush();
  }

  close(): void {
    this.plog.close();
  }
}
