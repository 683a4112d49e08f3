/**
 * The cluster operations of the test-control plane (issue 14, item 1), as one node offers them:
 * the Broker implements ClusterOps; the admin endpoint (admin/cluster-routes.ts) serves them over
 * HTTP, and the Cluster handle (cluster.ts) sends each to the node it concerns.
 *
 * - moveLeader / pinCoordinator: a real partition change written by the controller (one
 *   PartitionChange record: the replicas reordered with the new leader first, the leader epoch
 *   bumped, the ISR kept), so only the node with the controller role does them. Clients holding
 *   the old leader get NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH and follow Metadata. A
 *   coordinator is pinned by moving the leader of the __consumer_offsets (group) or
 *   __transaction_state (transactional id) partition its key hashes to, as Kafka chooses it.
 * - down / up: this broker stops answering (its client listeners closed, every connection cut)
 *   and stops heartbeating, so the controller fences it after broker.session.timeout.ms as it
 *   fences a broker it lost; up listens again on the same ports and heartbeats, and the
 *   controller unfences it once its metadata has caught up. The process and its data stay.
 * - hiddenBrokers: brokers left out of this node's Metadata, DescribeCluster and FindCoordinator
 *   answers; a partition one of them leads shows leader -1 and LEADER_NOT_AVAILABLE.
 * - kafkaVersion: the API ranges of an older release (kafka-version.ts).
 */
import type { Kafka4Notes } from './kafka4-notes.js';
import type { KafkaVersionView } from './kafka-version.js';

/** An operation refused: HTTP 409 (or the status given) with the message. */
export class ClusterOpError extends Error {
  constructor(
    message: string,
    readonly status = 409,
  ) {
    super(message);
  }
}

export interface MovedLeader {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
}

export interface CoordinatorKey {
  /** A consumer group id (its coordinator lives on a __consumer_offsets partition). */
  group?: string;
  /** A transactional id (its coordinator lives on a __transaction_state partition). */
  transactionalId?: string;
}

export interface ClusterOps {
  readonly nodeId: number;
  /** Whether this node has the controller role (moveLeader and pinCoordinator are done there). */
  readonly hasController: boolean;
  moveLeader(topic: string, partition: number, brokerId: number): MovedLeader;
  pinCoordinator(key: CoordinatorKey, brokerId: number): MovedLeader;
  /** The node's broker stops answering and heartbeating (see above). */
  down(): Promise<void>;
  up(): Promise<void>;
  readonly isDown: boolean;
  hideBroker(brokerId: number, hidden: boolean): number[];
  readonly hiddenBrokers: ReadonlySet<number>;
  kafkaVersionView(): KafkaVersionView;
  setKafkaVersion(version: string | null): KafkaVersionView;
  setApiVersions(apiKey: number, range: { minVersion: number; maxVersion: number } | null): KafkaVersionView;
  clearApiVersions(): KafkaVersionView;
  shuffleLeaders(seed?: number): MovedLeader[];
  setReadReplica(topic: string, partition: number, brokerId: number | null): { topic: string; partition: number; readReplica: number | null };
  applyRetentionNow(): number;
  compactNow(): { partitionsCleaned: number; recordsRead: number; recordsKept: number; durationMs: number };
  readonly kafka4Notes: Kafka4Notes;
}
