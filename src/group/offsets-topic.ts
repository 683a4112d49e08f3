/**
 * The `__consumer_offsets` topic: where the group coordinator keeps group metadata and committed
 * offsets (records.ts has the formats). Created on first use with `offsets.topic.num.partitions`
 * partitions and cleanup.policy=compact, as Kafka does; a group's records all go to partition
 * hash(group) % partitions, so per-partition order is the order of that group's changes.
 *
 * Appends are synchronous writes to the partition log (the page cache: they survive a kill -9 of
 * the broker, like Kafka's, which also does not fsync each commit). At start every partition is
 * read from its start to rebuild the coordinator's state.
 */
import type { LogManager } from '../log/log-manager.js';
import { buildRecordBatch, decodeRecords, splitBatches, validateBatches } from '../log/record-batch.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import { partitionForGroup } from './records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

const REPLAY_READ_BYTES = 4 * 1024 * 1024;

export interface OffsetsTopicSettings {
  numPartitions: number;
  segmentBytes: number;
}

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

/** What the group coordinator needs from its log (OffsetsTopic, or a stand-in in tests). */
export interface GroupStore {
  /** Makes the log ready; an error message when it cannot be. */
  ensure(): string | null;
  /** Appends one group's records atomically; throws LogStorageError when the write fails. */
  append(groupId: string, records: readonly KeyValue[]): void;
  /** Feeds every stored record to `onRecord` in log order; returns how many. */
  replay(onRecord: (key: Buffer, value: Buffer | null) => void): number;
}

export class OffsetsTopic implements GroupStore {
  constructor(
    private readonly controller: Controller,
    private readonly image: MetadataImage,
    private readonly logs: LogManager,
    private readonly settings: OffsetsTopicSettings,
  ) {}

  private get partitions(): number {
    return this.image.topicsByName.get(OFFSETS_TOPIC)?.partitions.length ?? this.settings.numPartitions;
  }

  /** Creates the topic if it does not exist yet. Returns an error message, or null when ready. */
  ensure(): string | null {
    if (this.image.topicsByName.has(OFFSETS_TOPIC)) return null;
    const created = this.controller.createTopic(
      {
        name: OFFSETS_TOPIC,
        numPartitions: this.settings.numPartitions,
        replicationFactor: 1,
        assignments: null,
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'producer'],
          ['segment.bytes', String(this.settings.segmentBytes)],
        ]),
      },
      false,
    );
    return created.errorCode === 0 ? null : `cannot create ${OFFSETS_TOPIC}: ${created.errorMessage}`;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitions);
  }

  /** Appends the records for one group as one batch. Throws LogStorageError when the write fails. */
  append(groupId: string, records: readonly KeyValue[]): void {
    if (records.length === 0) return;
    const problem = this.ensure();
    if (problem) throw new Error(problem);
    const partition = this.partitionFor(groupId);
    const plog = this.logs.get(OFFSETS_TOPIC, partition);
    if (!plog) throw new Error(`${OFFSETS_TOPIC}-${partition} has no log`);
    const now = BigInt(Date.now());
    const batch = buildRecordBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })));
    const checked = validateBatches(batch, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'internal' });
    if (!checked.ok) throw new Error(`offsets batch failed its own validation: ${checked.message}`);
    plog.append(batch, checked.batches);
    this.logs.notifyAppend(OFFSETS_TOPIC, partition);
  }

  /** Feeds every stored record, partition by partition in log order, to `onRecord`. */
  replay(onRecord: (key: Buffer, value: Buffer | null) => void): number {
    const topic = this.image.topicsByName.get(OFFSETS_TOPIC);
    if (!topic) return 0;
    let count = 0;
    for (let p = 0; p < topic.partitions.length; p++) {
      const plog = this.logs.get(OFFSETS_TOPIC, p);
      if (!plog) continue;
      let offset = plog.logStartOffset;
      while (offset < plog.logEndOffset) {
        const { records } = plog.read(offset, REPLAY_READ_BYTES, { minOneBatch: true });
        if (records.length === 0) break;
        for (const batch of splitBatches(records)) {
          for (const rec of decodeRecords(batch)) {
            if (rec.offset < offset) continue;
            offset = rec.offset + 1n;
            if (rec.key === null) continue;
            onRecord(rec.key, rec.value);
            count++;
          }
          // A control or empty batch still moves us past its offsets.
          const last = batch.readBigInt64BE(0) + BigInt(batch.readInt32BE(23));
          if (last + 1n > offset) offset = last + 1n;
        }
      }
    }
    return count;
  }
}
