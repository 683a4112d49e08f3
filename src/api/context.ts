/**
 * What a request handler may use of its broker: the services below, never the Broker itself
 * (STYLE.md: handlers never touch files or partition logs; partition data goes through the
 * replica layer). The Broker implements this interface; tests may stand in for parts of it.
 */
import type { Clock } from '../control/clock.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { FaultInjector } from '../control/faults.js';
import type { Observer } from '../control/observer.js';
import type { Kafka4Notes } from '../control/kafka4-notes.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { SharePartitionManager } from '../share/share-partition-manager.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import type { Logger } from '../logger.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import type { MetadataLogReader } from '../metadata/metadata-log.js';
import type { CoordinatorStore } from '../metadata/internal-topic.js';
import type { TopicPartition } from '../txn/coordinator.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import type { ClientTelemetry } from '../telemetry/client-metrics.js';
import type { ProducerIdManager } from '../txn/producer-ids.js';

export interface BrokerServices {
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where clients reach this broker (advertised.listeners). */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** Faults injected for tests: the connections of this broker's listeners consult them. */
  readonly faults: FaultInjector;
  /** The clock every timeout, retention and expiry of this broker reads (control/clock.ts). */
  readonly clock: Clock;
  /** The request log, connection stats and request metrics of this broker's listeners. */
  readonly observer: Observer;
  /** KIP-896 notes per client (control/kafka4-notes.ts); the connections report every request's version. */
  readonly kafka4Notes?: Kafka4Notes;
  /** Read replicas a test named for partitions this broker leads (topic\0partition -> broker; KIP-392). */
  readonly readReplicas?: ReadonlyMap<string, number>;
  /** Brokers left out of Metadata, DescribeCluster and FindCoordinator answers (a test hid them). */
  readonly hiddenBrokers?: ReadonlySet<number>;
  /** Where clients of one listener reach this broker; null for a listener it does not have. */
  advertisedEndpoint(listenerName: string): { host: string; port: number } | null;
  readonly config: BrokerConfig;
  readonly log: Logger;
  /** The committed cluster metadata (topics, configs, features). */
  readonly image: MetadataImage;
  /** Changes to the cluster metadata (topics, partitions, configs, producer id blocks). */
  readonly controller: Controller;
  /** The `__cluster_metadata` log, for brokers fetching it from this controller. */
  readonly metadataLog: MetadataLogReader;
  /** The partitions this broker holds: reads, appends, offsets, deletions. */
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  /** KIP-932 share groups at the partition leader: share-partitions and share sessions. */
  readonly shares: SharePartitionManager;
  /** The share coordinator: share-partition state of the keys whose __share_group_state partition this broker leads. */
  readonly shareStates: ShareStateStore;
  readonly transactions: TransactionCoordinator;
  readonly producerIds: ProducerIdManager;
  /** The coordinators' internal topics (created on first use). */
  readonly offsetsTopic: CoordinatorStore;
  readonly transactionsTopic: CoordinatorStore;
  /** Client telemetry (KIP-714): subscriptions answered, pushes kept for the inspector. */
  readonly clientTelemetry: ClientTelemetry;
  /** The authorizer (authorizer.class.name); null when none is configured: every request is allowed. */
  readonly authorizer: Authorizer | null;
  /**
   * Writes a transaction marker to a partition this broker leads, for a transaction coordinator
   * (here or on another broker): NONE once it is on every in-sync replica, or why not.
   */
  writeTxnMarker(tp: { topic: string; partition: number }, producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number, timeoutMs: number): number | Promise<number>;
  /**
   * Asks the transaction coordinator on another broker to verify or add partitions of a
   * transactional produce (KIP-890, AddPartitionsToTxn v5; src/txn-partition-checks.ts): an error
   * code per partition, as the producer is to be told it.
   */
  checkTxnPartitions(check: TxnPartitionCheck): Promise<number[]>;
}

/** A transactional produce's partitions for the coordinator to verify or add (KIP-890; the broker's src/txn-partition-checks.ts asks it). */
export interface TxnPartitionCheck {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  partitions: TopicPartition[];
  /** False: add the partitions (transaction version 2); true: only verify them. */
  verifyOnly: boolean;
  /** Whether the client understands TRANSACTION_ABORTABLE (Produce v11+, TxnOffsetCommit v4+). */
  abortableErrorSupported: boolean;
}
