/**
 * Where share-partition state lives between fetches and across restarts: Kafka's share
 * coordinator, over the internal topic `__share_group_state` (compacted, created on first use with
 * share.coordinator.state.topic.* settings, like __consumer_offsets).
 *
 * One key per share-partition, "group:topicId:partition" (Kafka's SharePartitionKey), hashed to a
 * partition of the topic; its records are ShareSnapshot records in Kafka 4.1's format:
 *   key   = int16 type 0 (ShareSnapshot), GroupId (string), TopicId (uuid), Partition (int32)
 *   value = int16 version 0, then flexible: SnapshotEpoch (uint16), StateEpoch (int32),
 *           LeaderEpoch (int32), StartOffset (int64), CreateTimestamp (int64), WriteTimestamp
 *           (int64), StateBatches [FirstOffset int64, LastOffset int64, DeliveryState int8,
 *           DeliveryCount int16], tagged fields
 * Every write is a whole snapshot (Kafka also writes ShareUpdate deltas between snapshots; a
 * compacted topic of snapshots keeps the newest one per key, which is all a restart needs).
 * A deleted share-partition (its group was deleted: DeleteShareGroupState) is a snapshot with
 * start offset -1 and the next state epoch, which fences writers of the old state; a tombstone
 * (none written here) removes a key.
 *
 * The coordinator of a key is the leader of its partition (as for groups and transactions).
 * Snapshots are kept in memory for the keys of the partitions this broker leads, read back from
 * the log at start and when it becomes leader. A partition leader on another broker reads and
 * writes them with ReadShareGroupState and WriteShareGroupState (share-persister.ts).
 *
 * Crash behaviour: a snapshot is appended before the acknowledgement it records is answered, and
 * the answer waits until it is on every in-sync replica; so an acknowledged delivery outcome
 * survives a kill -9 of the broker. Acquisitions are not written (Kafka neither): after a restart,
 * records that were acquired are available again, with the delivery count of the last snapshot.
 */
import type { CoordinatorStore } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import { DecodeError, Reader, Writer } from '../protocol/wire.js';
import type { Logger } from '../logger.js';
import type { ShareStateSnapshot } from './share-partition.js';

export interface SharePartitionId {
  groupId: string;
  /** base64url, as the metadata image keeps topic ids. */
  topicId: string;
  partition: number;
}

const SHARE_SNAPSHOT_TYPE = 0;

export function coordinatorKey(k: SharePartitionId): string {
  return `${k.groupId}:${k.topicId}:${k.partition}`;
}

export function encodeSnapshotKey(k: SharePartitionId): Buffer {
  const w = new Writer(64);
  w.int16(SHARE_SNAPSHOT_TYPE);
  w.string(k.groupId);
  w.uuid(Buffer.from(k.topicId, 'base64url'));
  w.int32(k.partition);
  return Buffer.from(w.finish());
}

export function decodeSnapshotKey(buf: Buffer): SharePartitionId | null {
  const r = new Reader(buf);
  const type = r.int16();
  // ShareUpdate records (type 1) are Kafka's deltas; Sluice writes none, and skips them.
  if (type !== SHARE_SNAPSHOT_TYPE) return null;
  const groupId = r.string();
  const topicId = Buffer.from(r.uuid()).toString('base64url');
  const partition = r.int32();
  r.check();
  return { groupId, topicId, partition };
}

export function encodeSnapshotValue(s: ShareStateSnapshot, opts: { snapshotEpoch: number; stateEpoch: number; leaderEpoch: number; createTimestamp: bigint; writeTimestamp: bigint }): Buffer {
  const w = new Writer(64 + s.batches.length * 20);
  w.int16(0);
  w.int16(opts.snapshotEpoch & 0xffff);
  w.int32(opts.stateEpoch);
  w.int32(opts.leaderEpoch);
  w.int64(s.startOffset);
  w.int64(opts.createTimestamp);
  w.int64(opts.writeTimestamp);
  w.compactArrayCount(s.batches.length);
  for (const b of s.batches) {
    w.int64(b.firstOffset);
    w.int64(b.lastOffset);
    w.int8(b.deliveryState);
    w.int16(b.deliveryCount);
    w.taggedFields();
  }
  w.taggedFields();
  return Buffer.from(w.finish());
}

export function decodeSnapshotValue(buf: Buffer): { snapshot: ShareStateSnapshot; snapshotEpoch: number; stateEpoch: number; leaderEpoch: number; createTimestamp: bigint } {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`share snapshot value version ${version} is not one this broker reads (0)`);
  const snapshotEpoch = r.int16() & 0xffff;
  const stateEpoch = r.int32();
  const leaderEpoch = r.int32();
  const startOffset = r.int64();
  const createTimestamp = r.int64();
  r.int64();
  const n = r.compactArrayCount(19);
  const batches: ShareStateSnapshot['batches'] = [];
  for (let i = 0; i < n && r.error === null; i++) {
    const firstOffset = r.int64();
    const lastOffset = r.int64();
    const deliveryState = r.int8();
    const deliveryCount = r.int16();
    r.taggedFields();
    batches.push({ firstOffset, lastOffset, deliveryState, deliveryCount });
  }
  r.taggedFields();
  r.check();
  return { snapshot: { startOffset, batches }, snapshotEpoch, stateEpoch, leaderEpoch, createTimestamp };
}

interface Stored {
  id: SharePartitionId;
  /** null: deleted (its group was deleted), kept to fence writers of the older state epoch. */
  snapshot: ShareStateSnapshot | null;
  snapshotEpoch: number;
  stateEpoch: number;
  leaderEpoch: number;
  createTimestamp: bigint;
}

/** What a read of a share-partition's state found: its snapshot or none yet (null), when errorCode is NONE. */
export interface StateRead {
  errorCode: number;
  snapshot: ShareStateSnapshot | null;
  /** The leader epoch of the partition leader that wrote the state last; -1 when unknown. */
  leaderEpoch: number;
  /** The state epoch writes must carry (bumped when the state is deleted); 0 for a new key. */
  stateEpoch: number;
}

/**
 * The share coordinator's own part: the state of the keys whose `__share_group_state` partition
 * this broker leads, read from and written to that log. ReadShareGroupState and
 * WriteShareGroupState (api/84, api/85) serve it to the partition leaders of other brokers;
 * share-persister.ts is how a partition leader reaches it, here or there.
 */
export class ShareStateStore {
  private readonly states = new Map<string, Stored>();

  constructor(
    private readonly topic: CoordinatorStore,
    private readonly log: Logger,
    private readonly nowMs: () => number,
  ) {}

  /** Reads the partitions this broker leads (all of them, or one after its election). */
  load(partition?: number): void {
    this.topic.replay(
      (key, value) => {
        const k = decodeSnapshotKey(key);
        if (!k) return;
        const ck = coordinatorKey(k);
        if (value === null) {
          this.states.delete(ck);
          return;
        }
        const v = decodeSnapshotValue(value);
        this.states.set(ck, { id: k, snapshot: v.snapshot.startOffset < 0n ? null : v.snapshot, snapshotEpoch: v.snapshotEpoch, stateEpoch: v.stateEpoch, leaderEpoch: v.leaderEpoch, createTimestamp: v.createTimestamp });
      },
      undefined,
      partition,
    );
  }

  /** Forgets the keys of a partition another broker leads now. */
  unload(partition: number): void {
    for (const key of [...this.states.keys()]) if (this.topic.partitionFor(key) === partition) this.states.delete(key);
  }

  /** Creates `__share_group_state` when it does not exist yet; an error message when it cannot. */
  ensure(): string | null {
    return this.topic.ensure();
  }

  /** Whether this broker is the share coordinator of the key (leads its partition). */
  coordinates(k: SharePartitionId): boolean {
    return this.topic.leads(coordinatorKey(k));
  }

  /** The `__share_group_state` partition of a key. */
  partitionOf(k: SharePartitionId): number {
    return this.topic.partitionFor(coordinatorKey(k));
  }

  /** ReadShareGroupState here: NOT_COORDINATOR when another broker leads the key's partition. */
  read(k: SharePartitionId): StateRead {
    if (!this.coordinates(k)) return { errorCode: ErrorCode.NOT_COORDINATOR, snapshot: null, leaderEpoch: -1, stateEpoch: 0 };
    const stored = this.states.get(coordinatorKey(k));
    return { errorCode: ErrorCode.NONE, snapshot: stored?.snapshot ?? null, leaderEpoch: stored?.leaderEpoch ?? -1, stateEpoch: stored?.stateEpoch ?? 0 };
  }

  /**
   * WriteShareGroupState here: appends the snapshot, and a promise of the outcome (NONE once it is
   * on every in-sync replica; null when there is nothing to wait for). NOT_COORDINATOR when another
   * broker leads the key's partition; FENCED_LEADER_EPOCH for a write from a partition leader older
   * than the last one that wrote (a leader that lost its partition and does not know it yet);
   * FENCED_STATE_EPOCH for a write of a state that was deleted since the writer read it.
   */
  write(k: SharePartitionId, snapshot: ShareStateSnapshot, leaderEpoch: number, stateEpoch: number, timeoutMs: number): number | Promise<number> {
    const ck = coordinatorKey(k);
    if (!this.topic.leads(ck)) return ErrorCode.NOT_COORDINATOR;
    const old = this.states.get(ck);
    if (old && stateEpoch !== old.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
    if (old && old.snapshot !== null && leaderEpoch < old.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    const problem = this.topic.ensure();
    if (problem) {
      this.log.error(problem);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const now = BigInt(this.nowMs());
    const stored: Stored = { id: k, snapshot, snapshotEpoch: ((old?.snapshotEpoch ?? -1) + 1) & 0xffff, stateEpoch, leaderEpoch, createTimestamp: old?.snapshot ? old.createTimestamp : now };
    this.topic.append(ck, [{ key: encodeSnapshotKey(k), value: encodeSnapshotValue(snapshot, { ...stored, writeTimestamp: now }) }]);
    this.states.set(ck, stored);
    return this.topic.durable(ck, timeoutMs) ?? ErrorCode.NONE;
  }

  /**
   * DeleteShareGroupState here (its group was deleted, or its offsets for a topic:
   * DeleteShareGroupOffsets): the state is gone (a ShareSnapshot with start offset -1, Kafka's
   * uninitialized state) and its state epoch bumped, so a partition leader still holding the old
   * state is fenced (FENCED_STATE_EPOCH) and reads it again, empty.
   */
  delete(k: SharePartitionId, timeoutMs: number): number | Promise<number> {
    const ck = coordinatorKey(k);
    if (!this.topic.leads(ck)) return ErrorCode.NOT_COORDINATOR;
    const old = this.states.get(ck);
    if (!old || old.snapshot === null) return ErrorCode.NONE;
    return this.replace(k, null, old.stateEpoch + 1, old.leaderEpoch, timeoutMs);
  }

  /**
   * InitializeShareGroupState here (AlterShareGroupOffsets set an empty group's start offset):
   * the state becomes `startOffset` with nothing in flight (-1: no state, so the partition leader
   * starts where share.auto.offset.reset says), written by no leader yet (leader epoch 0, as
   * Kafka's share coordinator writes it), at the requested state epoch or above the stored one,
   * so a partition leader still holding the old state is fenced when it writes and reads it again.
   */
  initialize(k: SharePartitionId, startOffset: bigint, stateEpoch: number, timeoutMs: number): number | Promise<number> {
    const ck = coordinatorKey(k);
    if (!this.topic.leads(ck)) return ErrorCode.NOT_COORDINATOR;
    const old = this.states.get(ck);
    const snapshot = startOffset < 0n ? null : { startOffset, batches: [] };
    return this.replace(k, snapshot, Math.max(stateEpoch, (old?.stateEpoch ?? -1) + 1), 0, timeoutMs);
  }

  /** Writes a new state of a key at a new state epoch: a snapshot, or none (start offset -1). */
  private replace(k: SharePartitionId, snapshot: ShareStateSnapshot | null, stateEpoch: number, leaderEpoch: number, timeoutMs: number): number | Promise<number> {
    const ck = coordinatorKey(k);
    const problem = this.topic.ensure();
    if (problem) {
      this.log.error(problem);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const old = this.states.get(ck);
    const now = BigInt(this.nowMs());
    const stored: Stored = { id: k, snapshot, snapshotEpoch: ((old?.snapshotEpoch ?? -1) + 1) & 0xffff, stateEpoch, leaderEpoch, createTimestamp: now };
    this.topic.append(ck, [{ key: encodeSnapshotKey(k), value: encodeSnapshotValue(snapshot ?? { startOffset: -1n, batches: [] }, { ...stored, writeTimestamp: now }) }]);
    this.states.set(ck, stored);
    return this.topic.durable(ck, timeoutMs) ?? ErrorCode.NONE;
  }
}
