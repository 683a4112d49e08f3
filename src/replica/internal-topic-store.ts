/**
 * An internal topic in which a coordinator keeps its state: `__consumer_offsets` (group
 * coordinator) and `__transaction_state` (transaction coordinator). Created on first use with the
 * configured partition count and cleanup.policy=compact, as Kafka does; all records of one key
 * (a group id, a transactional id) go to partition hash(key) % partitions, so per-partition order
 * is the order of that key's changes.
 *
 * Appends go through the replica manager as the coordinator's own (Kafka's origin COORDINATOR),
 * synchronous writes to the partition log (the page cache: they survive a kill -9 of
 * the broker, like Kafka's, which also does not fsync each commit). At start every partition is
 * read from its start to rebuild the coordinator's state, including transactional batches and
 * their markers (TxnOffsetCommit writes offsets into __consumer_offsets inside a transaction).
 */
import { SEGMENT_BYTES_MIN } from '../config/definitions.js';
import { buildRecordBatch, decodeRecords, splitBatches, validateBatches } from '../log/record-batch.js';
import { readMarker } from '../log/markers.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import { partitionForKey, type BatchContext, type CoordinatorStore, type KeyValue, type TransactionalWrite } from '../metadata/internal-topic.js';
import type { ReplicaManager } from './replica-manager.js';

const REPLAY_READ_BYTES = 4 * 1024 * 1024;

export interface InternalTopicSettings {
  numPartitions: number;
  segmentBytes: number;
  /** offsets.topic.replication.factor / transaction.state.log.replication.factor (capped at the live brokers). */
  replicationFactor: number;
}

export class InternalTopic implements CoordinatorStore {
  constructor(
    readonly name: string,
    private readonly controller: Controller,
    private readonly image: MetadataImage,
    private readonly replicas: ReplicaManager,
    settings: InternalTopicSettings,
  ) {
    this.numPartitions = settings.numPartitions;
    controller.reserveInternalTopic(name, {
      numPartitions: settings.numPartitions,
      replicationFactor: settings.replicationFactor,
      configs: new Map([
        ['cleanup.policy', 'compact'],
        ['compression.type', 'producer'],
        // Below Kafka 4's segment.bytes minimum (KIP-1030), the internal override carries it.
        [settings.segmentBytes < SEGMENT_BYTES_MIN ? 'internal.segment.bytes' : 'segment.bytes', String(settings.segmentBytes)],
      ]),
    });
  }

  private readonly numPartitions: number;

  private get partitions(): number {
    return this.image.topicsByName.get(this.name)?.partitions.length ?? this.numPartitions;
  }

  /** Creates the topic if it does not exist yet. Returns an error message, or null when ready. */
  ensure(): string | null {
    if (this.image.topicsByName.has(this.name)) return null;
    // Partitions and configs come from the policy registered in the constructor.
    const created = this.controller.createTopic({ name: this.name, numPartitions: -1, replicationFactor: -1, assignments: null, configs: new Map() }, false);
    return created.errorCode === 0 ? null : `cannot create ${this.name}: ${created.errorMessage}`;
  }

  partitionFor(key: string): number {
    return partitionForKey(key, this.partitions);
  }

  /** Appends the records of one key as one batch. Throws LogStorageError when the write fails. */
  append(key: string, records: readonly KeyValue[], txn?: TransactionalWrite): void {
    if (records.length === 0) return;
    const problem = this.ensure();
    if (problem) throw new Error(problem);
    const partition = this.partitionFor(key);
    const now = BigInt(this.replicas.clock.nowMs());
    const batch = buildRecordBatch(
      records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1, isTransactional: true } : {},
    );
    const checked = validateBatches(batch, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'internal' });
    if (!checked.ok) throw new Error(`offsets batch failed its own validation: ${checked.message}`);
    this.replicas.appendAsCoordinator(this.name, partition, batch, checked.batches);
  }

  durable(key: string, timeoutMs: number): Promise<number> | null {
    const partition = this.partitionFor(key);
    const p = this.replicas.getPartition(this.name, partition);
    if (!p) return this.image.topicsByName.has(this.name) ? Promise.resolve(this.replicas.notHostedError(this.name, partition)) : null;
    return this.replicas.whenReplicated(this.name, partition, p.logEndOffset - 1n, timeoutMs);
  }

  epochFor(key: string): number {
    return Math.max(0, this.replicas.getPartition(this.name, this.partitionFor(key))?.leaderEpoch ?? 0);
  }

  leads(key: string): boolean {
    if (!this.image.topicsByName.has(this.name)) return true;
    return this.replicas.getPartition(this.name, this.partitionFor(key))?.isLeader ?? false;
  }

  replay(onRecord: (key: Buffer, value: Buffer | null, batch: BatchContext) => void, onMarker?: (producerId: bigint, commit: boolean) => void, only?: number): number {
    const topic = this.image.topicsByName.get(this.name);
    if (!topic) return 0;
    let count = 0;
    for (let p = 0; p < topic.partitions.length; p++) {
      if (only !== undefined && p !== only) continue;
      const partition = this.replicas.getPartition(this.name, p);
      // A coordinator holds only the keys of the partitions it leads.
      if (!partition?.isLeader) continue;
      let offset = partition.logStartOffset;
      while (offset < partition.logEndOffset) {
        const { records } = partition.read(offset, REPLAY_READ_BYTES, { minOneBatch: true, isolation: 'log-end' });
        if (records.length === 0) break;
        for (const batch of splitBatches(records)) {
          const attributes = batch.readInt16BE(21);
          const ctx: BatchContext = { producerId: batch.readBigInt64BE(43), isTransactional: (attributes & 0x10) !== 0 };
          if ((attributes & 0x20) !== 0) {
            const marker = batch.readBigInt64BE(0) >= offset ? readMarker(batch) : null;
            if (marker) onMarker?.(ctx.producerId, marker.commit);
          } else {
            for (const rec of decodeRecords(batch)) {
              if (rec.offset < offset) continue;
              offset = rec.offset + 1n;
              if (rec.key === null) continue;
              onRecord(rec.key, rec.value, ctx);
              count++;
            }
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
