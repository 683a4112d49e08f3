/**
 * The internal topics in which the coordinators keep their state, by name, and what a
 * coordinator needs from its topic (CoordinatorStore; replica/internal-topic-store.ts writes and
 * reads the real one, memory-store.ts stands in for it in tests).
 */
import { ErrorCode } from '../protocol/errors.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** Kafka's share-group coordinator topic: not served here, but internal by name as in Kafka. */
export const SHARE_GROUP_STATE_TOPIC = '__share_group_state';
/**
 * Kafka's internal topics (Topic.isInternal): Metadata flags them, Produce and DeleteRecords
 * refuse them (INVALID_TOPIC_EXCEPTION). `__cluster_metadata` is not among them: it is not a topic
 * at all, and no request can create, write or delete it (controller.ts, metadata-log.ts).
 */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, SHARE_GROUP_STATE_TOPIC]);

/** Kafka's choice of partition for a coordinator key: Java String.hashCode, made non-negative. */
export function partitionForKey(key: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitions;
}

/** The batch a replayed record came in. */
export interface BatchContext {
  producerId: bigint;
  isTransactional: boolean;
}

/** Writes records as one transaction's data (TxnOffsetCommit). */
export interface TransactionalWrite {
  producerId: bigint;
  producerEpoch: number;
}

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

/** What a coordinator needs from its log (InternalTopic, or a stand-in in tests). */
export interface CoordinatorStore {
  /** Makes the log ready; an error message when it cannot be. */
  ensure(): string | null;
  /** The partition that holds this key's records. */
  partitionFor(key: string): number;
  /** Appends one key's records atomically; throws LogStorageError when the write fails. */
  append(key: string, records: readonly KeyValue[], txn?: TransactionalWrite): void;
  /**
   * Waits until everything appended so far to the key's partition is on every in-sync replica
   * (the acks=all of Kafka's coordinator writes): null when it is already, else the outcome —
   * NONE, NOT_LEADER_OR_FOLLOWER (leadership moved first: the write may be lost), another
   * partition error, or REQUEST_TIMED_OUT after `timeoutMs`.
   */
  durable(key: string, timeoutMs: number): Promise<number> | null;
  /**
   * The coordinator epoch of the key's partition here (its leader epoch, Kafka's
   * coordinatorEpoch): a transaction marker carries it, so a partition can refuse the markers of
   * a coordinator that was replaced.
   */
  epochFor(key: string): number;
  /**
   * Feeds every stored record to `onRecord` and every transaction marker to `onMarker`, in log
   * order, of the partitions this broker leads (of `partition` only, when given); returns how
   * many records.
   */
  replay(onRecord: (key: Buffer, value: Buffer | null, batch: BatchContext) => void, onMarker?: (producerId: bigint, commit: boolean) => void, partition?: number): number;
  /**
   * Whether this broker leads the partition holding this key's records (it is the key's
   * coordinator); true before the topic exists (the coordinator creates it on first use).
   */
  leads(key: string): boolean;
}

/**
 * What a coordinator answers when its write did not become durable (Kafka's mapping of append
 * errors in its group and transaction coordinators): NOT_COORDINATOR when leadership of the
 * partition moved (the client finds the new coordinator), COORDINATOR_NOT_AVAILABLE otherwise
 * (a timeout, the partition gone: the client retries).
 */
export function coordinatorWriteError(code: number): number {
  return code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.KAFKA_STORAGE_ERROR ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}
