/**
 * How a partition leader reads and writes its share-partitions' state (Kafka's Persister): at
 * the share coordinator of each key, the leader of the key's `__share_group_state` partition.
 * When that is this broker the store is called directly; otherwise ReadShareGroupState (84),
 * WriteShareGroupState (85), DeleteShareGroupState (86), ReadShareGroupStateSummary (87) and
 * InitializeShareGroupState (83) v0 go to the coordinator over the inter-broker listener, as Kafka's
 * DefaultStatePersister sends them (one request per call: a read happens once per share-partition
 * per leadership, a write once per turn of the event loop per share-partition).
 *
 * A startOffset of -1 in a ReadShareGroupState answer means "no state yet" (Kafka's uninitialized
 * start offset): the share-partition then starts where share.auto.offset.reset says.
 */
import type { Logger } from '../logger.js';
import type { ApiCodec } from '../protocol/api-codec.js';
import { ErrorCode } from '../protocol/errors.js';
import { ReadShareGroupState } from '../protocol/generated/84-read-share-group-state.js';
import { ReadShareGroupStateSummary } from '../protocol/generated/87-read-share-group-state-summary.js';
import { WriteShareGroupState } from '../protocol/generated/85-write-share-group-state.js';
import { DeleteShareGroupState } from '../protocol/generated/86-delete-share-group-state.js';
import { InitializeShareGroupState } from '../protocol/generated/83-initialize-share-group-state.js';
import type { ShareStateSnapshot } from './share-partition.js';
import type { SharePartitionId, ShareStateStore, StateRead } from './share-state-store.js';

export const UNINITIALIZED_START_OFFSET = -1n;

/** What the persister needs of a connection to another broker (the broker gives net/node-client.ts's BrokerRequester). */
export interface BrokerRequester {
  request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req, opts: { version?: number }): Promise<Res>;
}

export interface SharePersisterOptions {
  nodeId: number;
  store: ShareStateStore;
  /** The broker leading a `__share_group_state` partition; null when none is known. */
  coordinatorOf(partition: number): number | null;
  clientFor(brokerId: number): BrokerRequester | null;
  log: Logger;
}

const uuid = (topicId: string): Buffer => Buffer.from(topicId, 'base64url');

export class SharePersister {
  constructor(private readonly opts: SharePersisterOptions) {}

  /**
   * Where the key's coordinator is: 'local', a client to it, or COORDINATOR_NOT_AVAILABLE while
   * `__share_group_state` is being created or the key's partition has no leader (the share-partition
   * then waits: nothing is acquired that could not be acknowledged durably).
   */
  private coordinator(k: SharePartitionId): 'local' | BrokerRequester | number {
    const problem = this.opts.store.ensure();
    if (problem) {
      this.opts.log.error(problem);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const broker = this.opts.coordinatorOf(this.opts.store.partitionOf(k));
    if (broker === null) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (broker === this.opts.nodeId) return 'local';
    return this.opts.clientFor(broker) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  /** The state of a share-partition: at once when this broker coordinates it, else from its coordinator. */
  read(k: SharePartitionId, leaderEpoch: number): StateRead | Promise<StateRead> {
    const client = this.coordinator(k);
    if (client === 'local') return this.opts.store.read(k);
    if (typeof client === 'number') return failedRead(client);
    return client
      .request(ReadShareGroupState, { groupId: k.groupId, topics: [{ topicId: uuid(k.topicId), partitions: [{ partition: k.partition, leaderEpoch }] }] }, { version: 0 })
      .then((res): StateRead => {
        const p = res.results[0]?.partitions[0];
        if (!p) return failedRead(ErrorCode.UNKNOWN_SERVER_ERROR);
        if (p.errorCode !== ErrorCode.NONE) return failedRead(p.errorCode);
        const snapshot = p.startOffset === UNINITIALIZED_START_OFFSET ? null : { startOffset: p.startOffset, batches: p.stateBatches.map((b) => ({ ...b })) };
        return { errorCode: ErrorCode.NONE, snapshot, leaderEpoch: -1, stateEpoch: p.stateEpoch };
      })
      .catch((err: Error): StateRead => {
        this.opts.log.debug(`ReadShareGroupState for ${k.groupId} failed: ${err.message}`);
        return failedRead(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      });
  }

  /**
   * A share-partition's start offset and the leader epoch that wrote it (Kafka's
   * ReadShareGroupStateSummary, for DescribeShareGroupOffsets): -1 for both when there is no state.
   */
  readSummary(k: SharePartitionId): StateRead | Promise<StateRead> {
    const client = this.coordinator(k);
    if (client === 'local') return this.opts.store.read(k);
    if (typeof client === 'number') return failedRead(client);
    return client
      .request(ReadShareGroupStateSummary, { groupId: k.groupId, topics: [{ topicId: uuid(k.topicId), partitions: [{ partition: k.partition, leaderEpoch: -1 }] }] }, { version: 0 })
      .then((res): StateRead => {
        const p = res.results[0]?.partitions[0];
        if (!p) return failedRead(ErrorCode.UNKNOWN_SERVER_ERROR);
        if (p.errorCode !== ErrorCode.NONE || p.startOffset === UNINITIALIZED_START_OFFSET) return failedRead(p.errorCode);
        return { errorCode: ErrorCode.NONE, snapshot: { startOffset: p.startOffset, batches: [] }, leaderEpoch: p.leaderEpoch, stateEpoch: p.stateEpoch };
      })
      .catch((err: Error): StateRead => {
        this.opts.log.debug(`ReadShareGroupStateSummary for ${k.groupId} failed: ${err.message}`);
        return failedRead(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      });
  }

  /** Writes a share-partition's snapshot at the state epoch it was read at; NONE once the coordinator has it on every in-sync replica. */
  write(k: SharePartitionId, snapshot: ShareStateSnapshot, leaderEpoch: number, stateEpoch: number, timeoutMs: number): number | Promise<number> {
    const client = this.coordinator(k);
    if (client === 'local') return this.opts.store.write(k, snapshot, leaderEpoch, stateEpoch, timeoutMs);
    if (typeof client === 'number') return client;
    const request = { groupId: k.groupId, topics: [{ topicId: uuid(k.topicId), partitions: [{ partition: k.partition, stateEpoch, leaderEpoch, startOffset: snapshot.startOffset, stateBatches: snapshot.batches }] }] };
    return this.outcome(client.request(WriteShareGroupState, request, { version: 0 }), 'WriteShareGroupState', k);
  }

  /** Deletes a share-partition's state (its group was deleted): DeleteShareGroupState at its coordinator. */
  delete(k: SharePartitionId, timeoutMs: number): number | Promise<number> {
    const client = this.coordinator(k);
    if (client === 'local') return this.opts.store.delete(k, timeoutMs);
    if (typeof client === 'number') return client;
    const request = { groupId: k.groupId, topics: [{ topicId: uuid(k.topicId), partitions: [{ partition: k.partition }] }] };
    return this.outcome(client.request(DeleteShareGroupState, request, { version: 0 }), 'DeleteShareGroupState', k);
  }

  /**
   * Sets a share-partition's state to start at `startOffset` with nothing in flight (-1: no state)
   * at a new state epoch (AlterShareGroupOffsets): InitializeShareGroupState at its coordinator.
   */
  initialize(k: SharePartitionId, startOffset: bigint, stateEpoch: number, timeoutMs: number): number | Promise<number> {
    const client = this.coordinator(k);
    if (client === 'local') return this.opts.store.initialize(k, startOffset, stateEpoch, timeoutMs);
    if (typeof client === 'number') return client;
    const request = { groupId: k.groupId, topics: [{ topicId: uuid(k.topicId), partitions: [{ partition: k.partition, stateEpoch, startOffset }] }] };
    return this.outcome(client.request(InitializeShareGroupState, request, { version: 0 }), 'InitializeShareGroupState', k);
  }

  private outcome(res: Promise<{ results: Array<{ partitions: Array<{ errorCode: number }> }> }>, what: string, k: SharePartitionId): Promise<number> {
    return res
      .then((r) => r.results[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR)
      .catch((err: Error) => {
        this.opts.log.debug(`${what} for ${k.groupId} failed: ${err.message}`);
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      });
  }
}

const failedRead = (errorCode: number): StateRead => ({ errorCode, snapshot: null, leaderEpoch: -1, stateEpoch: 0 });
