/**
 * One Sluice broker: a combined KRaft node (broker + controller) with one client listener.
 *
 * Start-up: read config -> format the data directory if it has no meta.properties -> replay the
 * `__cluster_metadata` log into the image -> open (and recover) every partition log -> register
 * the API handlers -> listen. Stop: close the listener and connections, flush and close every log
 * with its clean-shutdown marker (every log it can; the rest are reported in one line and
 * recovered at the next start).
 *
 * File descriptors: every log file goes through a BoundedFileIO whose budget comes from the
 * process's open-file limit (limits.ts), so the partitions a broker holds are bounded by memory
 * and `partitionsMax`, not by `ulimit -n`.
 */
import { ClientTelemetry } from './telemetry/client-metrics.js';
import { VirtualClock, wallClock, type Clock, type TimerHandle } from './control/clock.js';
import { ErrorCode } from './protocol/errors.js';
import { RecordCheckPool } from './log/decompress-pool.js';
import { mkdirSync } from 'node:fs';
import { registerAll, registerControllerApis } from './api/index.js';
import { consumerGroupHeartbeatHandler } from './api/68-consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './api/69-consumer-group-describe.js';
import type { RequestContext } from './api/registry.js';
import { CLOSE_CONNECTION } from './api/registry.js';
import { BrokerLifecycle, lifecycleSettings, type ControllerChannel } from './metadata/broker-lifecycle.js';
import { AllocateProducerIds, AlterPartition, CreateTopics, Fetch, ListOffsets } from './protocol/generated/index.js';
import { NodeClient } from './net/node-client.js';
import { MetadataFetcher } from './metadata/metadata-fetcher.js';
import { ReplicaFetcherManager, type LeaderEndpoint } from './replica/replica-fetcher.js';
import { ForwardingController, controllerClientFor, forwardingHandlers } from './forwarding.js';
import type { ApiCodec } from './protocol/api-codec.js';
import type { IsrChange } from './replica/partition.js';
import { HandlerRegistry } from './api/registry.js';
import type { BrokerServices } from './api/context.js';
import { authorizerFromConfig, type StandardAuthorizer } from './auth/authorizer.js';
import { ConfigError, listenersWithClientAddress, loadBrokerConfig, type BrokerConfig, type BrokerConfigInput } from './config/broker-config.js';
import { checkLimits, connectionsMaxFor, limits, logFileHandlesMax, openFilesLimit } from './config/limits.js';
import { parseShareAutoOffsetReset } from './config/definitions.js';
import { BoundedFileIO } from './log/bounded-file-io.js';
import { defaultFileIO, type FileIO } from './log/file-io.js';
import { LogManager } from './log/log-manager.js';
import { createLogger, RateLimitedLog, type Logger } from './logger.js';
import { Controller, LEADER_ELECTIONS_PER_BALANCE_MAX } from './metadata/controller.js';
import type { UserScramCredentialRecord } from './metadata/records.js';
import { MetadataImage } from './metadata/image.js';
import { METADATA_FEATURES, METADATA_TOPIC, MetadataLog } from './metadata/metadata-log.js';
import { formatFeatures } from './metadata/features.js';
import { isValidClusterId, randomUuidString, readMetaProperties, writeMetaProperties, type MetaProperties } from './metadata/meta-properties.js';
import { Listener } from './net/server.js';
import { FaultInjector } from './control/faults.js';
import { seededRandom } from './control/random.js';
import type { CleanerStats } from './log/log-manager.js';
import { Observer } from './control/observer.js';
import type { RequestLogEntry, RequestMatcher } from './control/request-log.js';
import { partitionStates, type PartitionStateView } from './admin/partitions.js';
import { AdminServer } from './admin/server.js';
import { ClusterOpError, type ClusterOps, type CoordinatorKey, type MovedLeader } from './control/cluster-ops.js';
import { Kafka4Notes } from './control/kafka4-notes.js';
import { apiName, rangesFor, releaseLine, type KafkaVersionView } from './control/kafka-version.js';
import { KAFKA_RELEASES } from './control/kafka-releases.js';
import type { Endpoint } from './config/kraft.js';
import { newSession } from './auth/session.js';
import { imageScramLookup } from './auth/scram.js';
import { clientSecurity, listenerSecurity, type ClientSecurity } from './net/listener-security.js';
import { describeNative } from './native/index.js';
import { GroupCoordinator } from './group/coordinator.js';
import { OFFSETS_TOPIC, SHARE_GROUP_STATE_TOPIC, TRANSACTION_STATE_TOPIC } from './metadata/internal-topic.js';
import { SharePartitionManager } from './share/share-partition-manager.js';
import { SharePersister } from './share/share-persister.js';
import { ShareStateStore } from './share/share-state-store.js';
import { InternalTopic } from './replica/internal-topic-store.js';
import { MetadataPublisher } from './replica/metadata-publisher.js';
import { ReplicaManager } from './replica/replica-manager.js';
import { TransactionCoordinator } from './txn/coordinator.js';
import { TxnMarkerChannel } from './txn-marker-channel.js';
import { TxnPartitionChecks } from './txn-partition-checks.js';
import type { TxnPartitionCheck } from './api/context.js';
import { ProducerIdManager } from './txn/producer-ids.js';
import { consumerAssignors } from './group/assignors.js';
import type { ConsumerGroupSettings } from './group/consumer-protocol.js';

export interface BrokerOptions extends BrokerConfigInput {
  /** Shorthands for listeners/log.dirs; they win over the config file and overrides. */
  host?: string;
  port?: number;
  dataDir?: string;
  /** Cluster id to use if the data directory gets formatted at start. */
  clusterId?: string;
  /** Serve the admin endpoint (src/admin/server.ts) on 127.0.0.1 at this port (0: any free one). */
  adminPort?: number;
  /**
   * The clock timeouts, retention and expiry read (control/clock.ts): 'wall' (the default), or
   * 'virtual', which starts at wall time and can be moved forward by a test (`broker.clock`).
   */
  clock?: 'wall' | 'virtual' | Clock;
  /**
   * Advertise and serve the API ranges of this Apache Kafka release ("2.8", "3.0" ... "4.1";
   * control/kafka-version.ts) instead of Sluice's own. Changeable at run time (setKafkaVersion).
   */
  kafkaVersion?: string;
  logger?: Logger;
  io?: FileIO;
}

export interface FormatOptions {
  dataDir: string;
  clusterId?: string;
  nodeId?: number;
  io?: FileIO;
  /**
   * process.roles of the node: a broker-only node's metadata log is a copy of the controller's and
   * starts empty (no bootstrap records). Default: a controller.
   */
  controller?: boolean;
  /** SCRAM credentials to start with (`sluice format --add-scram`, auth/scram.ts parseAddScram); a controller's only. */
  scramCredentials?: readonly UserScramCredentialRecord[];
  /**
   * Feature levels instead of the defaults (`sluice format --feature transaction.version=1`, as
   * kafka-storage format --feature); metadata/features.ts lists them. A controller's only.
   */
  features?: Readonly<Record<string, number>>;
}

/** `sluice format`: writes meta.properties and, for a controller, the metadata log's bootstrap records. */
export function formatDataDir(opts: FormatOptions): MetaProperties {
  const existing = readMetaProperties(opts.dataDir);
  if (existing) {
    throw new ConfigError(`${opts.dataDir} is already formatted (cluster id ${existing.clusterId}, node id ${existing.nodeId}); remove it to start over`);
  }
  let features: ReadonlyArray<{ name: string; level: number }> = METADATA_FEATURES;
  try {
    if (opts.features !== undefined) features = formatFeatures(opts.features);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (opts.features !== undefined && Object.keys(opts.features).length > 0 && opts.controller === false) {
    throw new ConfigError('features are finalized in a controller\'s metadata log: a broker-only node copies its controller\'s');
  }
  if ((opts.scramCredentials?.length ?? 0) > 0 && opts.controller === false) {
    throw new ConfigError('SCRAM credentials go into a controller\'s metadata log: a broker-only node copies its controller\'s');
  }
  const clusterId = opts.clusterId ?? randomUuidString();
  if (!isValidClusterId(clusterId)) {
    throw new ConfigError(`cluster id "${clusterId}" is not a 22-character base64url uuid; make one with "sluice random-uuid"`);
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const io = opts.io ?? defaultFileIO();
  const mlog = MetadataLog.open(opts.dataDir, io);
  const image = new MetadataImage();
  mlog.replay(image);
  if (opts.controller ?? true) new Controller(image, mlog, opts.nodeId ?? 1, { numPartitions: 1, replicationFactor: 1 }).bootstrap(features, opts.scramCredentials ?? []);
  mlog.close();
  const meta = { clusterId, nodeId: opts.nodeId ?? 1, directoryId: randomUuidString() };
  writeMetaProperties(opts.dataDir, meta);
  return meta;
}

/** The broker's clock from the `clock` option; a virtual one logs what its timers throw. */
function clockFor(option: BrokerOptions['clock'], log: Logger): Clock {
  if (option === undefined || option === 'wall') return wallClock;
  if (option !== 'virtual') return option;
  const clock = new VirtualClock();
  clock.onError = (err) => log.error(`a timer failed on the virtual clock: ${(err as Error)?.stack ?? String(err)}`);
  log.info('virtual clock: time starts now and moves forward with POST /clock/advance or clock.advance(ms)');
  return clock;
}

const MIN_INSYNC_REPLICAS = 'min.insync.replicas';

/** An unspecified address (every interface) is advertised as loopback, where this machine's clients reach it. */
function reachableHost(host: string): string {
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The session of the controller APIs a combined node calls in process (as over its CONTROLLER listener). */
const IN_PROCESS_SESSION = newSession('CONTROLLER', 'PLAINTEXT', '127.0.0.1');

export class Broker implements BrokerServices, ClusterOps {
  readonly handlers = new HandlerRegistry();
  /** KIP-896 notes per client (control/kafka4-notes.ts). */
  readonly kafka4Notes: Kafka4Notes;
  /** Brokers this node leaves out of Metadata, DescribeCluster and FindCoordinator (control/cluster-ops.ts). */
  readonly hiddenBrokers = new Set<number>();
  /** The release whose API ranges are advertised (null: Sluice's own). */
  private kafkaVersion: string | null = null;
  /** down(): the client listeners are closed and heartbeats paused. */
  isDown = false;
  readonly image = new MetadataImage();
  /** Faults a test arms (control/faults.ts; the admin endpoint's /faults). */
  readonly faults = new FaultInjector();
  /** The request log, connection stats and request metrics (control/observer.ts; GET /requests, /connections, /metrics). */
  readonly observer = new Observer();
  readonly controller: Controller;
  /** Client telemetry (KIP-714): GetTelemetrySubscriptions and PushTelemetry, and what clients pushed (GET /telemetry). */
  readonly clientTelemetry: ClientTelemetry;
  /** authorizer.class.name's authorizer over this node's ACLs (the image's); null when none is configured. */
  readonly authorizer: StandardAuthorizer | null;
  /** The partition logs: only the replica layer and the broker's own chores (flush, retention, cleaning) use them. */
  private readonly logs: LogManager;
  /** The partitions this broker holds: what requests do to partition data goes through here. */
  readonly replicas: ReplicaManager;
  readonly offsetsTopic: InternalTopic;
  readonly groups: GroupCoordinator;
  /** KIP-932: the share-partitions this broker leads, and their share sessions. */
  readonly shares: SharePartitionManager;
  /** `__share_group_state`, where the share coordinator keeps share-partition state. */
  readonly shareStateTopic: InternalTopic;
  /** The share coordinator's state (the keys whose __share_group_state partition this broker leads). */
  readonly shareStates: ShareStateStore;
  readonly producerIds: ProducerIdManager;
  readonly transactionsTopic: InternalTopic;
  readonly transactions: TransactionCoordinator;
  /** Record checks of produced compressed batches, in worker threads when large (log/decompress-pool.ts). */
  readonly recordChecks: RecordCheckPool;
  /** One server per broker listener (`listeners` without the controller ones), in config order. */
  private readonly clientListeners: Array<{ readonly endpoint: Endpoint; readonly server: Listener; port: number }>;
  /** The controller's APIs on this node's CONTROLLER listener (a node with the controller role that names one). */
  readonly controllerHandlers = new HandlerRegistry();
  private readonly controllerListener: Listener | null;
  private flushTimer: TimerHandle | null = null;
  private producerExpiryTimer: TimerHandle | null = null;
  private retentionTimer: TimerHandle | null = null;
  private cleanerTimer: TimerHandle | null = null;
  private fenceTimer: NodeJS.Timeout | null = null;
  private leaderBalanceTimer: NodeJS.Timeout | null = null;
  private isrTimer: NodeJS.Timeout | null = null;
  /** This node's broker as a member of the cluster (a node with a CONTROLLER listener); null otherwise. */
  private lifecycle: BrokerLifecycle | null = null;
  private readonly publisher: MetadataPublisher;
  /** A broker-only node's connection to its controller's CONTROLLER listener; null on a controller. */
  private readonly controllerClient: NodeClient | null;
  /** A broker-only node's copy of the metadata log, fetched from the controller. */
  private metadataFetcher: MetadataFetcher | null = null;
  private metadataClient: NodeClient | null = null;
  /** Internal topics whose creation was asked of the controller and not yet seen. */
  private readonly creating = new Set<string>();
  /** Where the transaction coordinator's markers go (local partitions, or WriteTxnMarkers to their leaders). */
  private readonly markerChannel: TxnMarkerChannel;
  private readonly txnPartitionChecks: TxnPartitionChecks;
  /** How this broker connects to others' inter-broker listener (TLS, SASL as that listener asks). */
  private readonly interBrokerSecurity: ClientSecurity;
  /** Connections to other brokers for the transaction coordinator's markers, by node id. */
  private readonly brokerClients = new Map<number, NodeClient>();
  private stopped = false;
  advertisedPort: number;
  /** Connections closed for what their client sent: a few WARN lines per 10 s, all counted. */
  readonly refusedConnections: RateLimitedLog;

  private constructor(
    readonly config: BrokerConfig,
    readonly meta: MetaProperties,
    readonly log: Logger,
    readonly metadataLog: MetadataLog,
    io: FileIO,
    /** Connections the open-file limit leaves room for (limits.connectionsMaxFor). */
    connectionsMax: number,
    /** What every timeout, retention and expiry reads (control/clock.ts). */
    readonly clock: Clock,
  ) {
    this.advertisedPort = config.advertised.port;
    this.kafka4Notes = new Kafka4Notes(log);
    this.refusedConnections = new RateLimitedLog((msg) => log.warn(msg));
    // Dynamic broker configs live in the image; the config reads them through these maps.
    this.image.brokerConfigs.set('', new Map());
    this.image.brokerConfigs.set(String(meta.nodeId), new Map());
    config.setDynamic({ node: this.image.brokerConfigs.get(String(meta.nodeId))!, cluster: this.image.brokerConfigs.get('')! });
    metadataLog.replay(this.image);
    // A broker-only node's ACLs are complete once its metadata has caught up (joinAsBrokerOnly).
    this.clientTelemetry = new ClientTelemetry({
      clock,
      subscriptions: () => this.image.clientMetricsConfigs,
      maxBytes: () => Number(config.get('telemetry.max.bytes')),
    });
    this.authorizer = authorizerFromConfig(config, () => this.image.acls, config.roles.has('controller'));
    // The controller APIs a combined node calls in process are its own, as a super user's.
    this.authorizer?.trust(IN_PROCESS_SESSION);
    this.logs = new LogManager(config.dataDir, io, config, log, clock);
    this.forgetReservedTopic(log);
    this.recordChecks = new RecordCheckPool(log);
    this.replicas = new ReplicaManager(meta.nodeId, this.logs, this.recordChecks, log, clock, { fetchSessionCacheSlots: Number(config.get('max.incremental.fetch.session.cache.slots')) });
    this.replicas.metadataHas = (topic, partition) => (this.image.topicsByName.get(topic)?.partitions.length ?? 0) > partition && partition >= 0;
    this.observer.metrics.topicNameOf = (topicId) => this.image.topicsById.get(topicId.toString('base64url'))?.name;
    this.observer.metrics.topicExists = (name) => this.image.topicsByName.has(name);
    const brokerOnly = !config.roles.has('controller');
    this.publisher = new MetadataPublisher(this.image, this.logs, this.replicas, !brokerOnly);
    this.publisher.openAll();
    this.controllerClient = brokerOnly ? controllerClientFor(config, meta.nodeId) : null;
    const defaults = { numPartitions: config.numPartitions, replicationFactor: Number(config.get('default.replication.factor')) };
    this.controller = brokerOnly
      ? new ForwardingController(this.image, meta.nodeId, defaults, config, (name) => this.forwardTopicCreation(name))
      : new Controller(this.image, metadataLog, meta.nodeId, defaults, { clusterId: meta.clusterId, config, implicitLocalBroker: config.roles.has('broker') });
    if (!brokerOnly) {
      this.publisher.attach(this.controller);
      this.recordClusterMinInsyncReplicas(log);
    }
    const int = (name: string): number => Number(config.get(name));
    this.offsetsTopic = new InternalTopic(OFFSETS_TOPIC, this.controller, this.image, this.replicas, {
      numPartitions: int('offsets.topic.num.partitions'),
      segmentBytes: int('offsets.topic.segment.bytes'),
      replicationFactor: int('offsets.topic.replication.factor'),
    });
    this.groups = new GroupCoordinator(
      this.offsetsTopic,
      {
        initialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
        minSessionTimeoutMs: int('group.min.session.timeout.ms'),
        maxSessionTimeoutMs: int('group.max.session.timeout.ms'),
        maxSize: Math.min(int('group.max.size'), limits.groupMembersMax),
        newMemberJoinTimeoutMs: 5 * 60 * 1000,
        offsetMetadataMaxBytes: int('offset.metadata.max.bytes'),
        offsetsRetentionMs: int('offsets.retention.minutes') * 60_000,
        offsetsRetentionCheckIntervalMs: int('offsets.retention.check.interval.ms'),
        share: {
          sessionTimeoutMs: int('group.share.session.timeout.ms'),
          heartbeatIntervalMs: int('group.share.heartbeat.interval.ms'),
          maxSize: Math.min(int('group.share.max.size'), limits.groupMembersMax),
          groupConfig: (groupId, name) => {
            const v = this.image.groupConfigs.get(groupId)?.get(name);
            return v === undefined ? undefined : Number(v);
          },
        },
        consumer: {
          sessionTimeoutMs: int('group.consumer.session.timeout.ms'),
          heartbeatIntervalMs: int('group.consumer.heartbeat.interval.ms'),
          assignors: consumerAssignors(String(config.get('group.consumer.assignors'))),
          maxSize: Math.min(int('group.consumer.max.size'), limits.groupMembersMax),
          migrationPolicy: String(config.get('group.consumer.migration.policy')) as ConsumerGroupSettings['migrationPolicy'],
          // The GROUP config resource (KIP-848): a group's own consumer.* configs, from the metadata log.
          groupConfig: (groupId, name) => {
            const v = this.image.groupConfigs.get(groupId)?.get(name);
            return v === undefined ? undefined : Number(v);
          },
        },
      },
      log,
      clock,
      {
        byName: (name) => {
          const t = this.image.topicsByName.get(name);
          return t ? { id: t.topicId, partitions: t.partitions.length } : undefined;
        },
        nameOf: (id) => this.image.topicsById.get(id)?.name,
        names: () => this.image.topicsByName.keys(),
        version: () => Number(this.image.lastOffset),
      },
    );
    this.groups.load();
    this.shareStateTopic = new InternalTopic(SHARE_GROUP_STATE_TOPIC, this.controller, this.image, this.replicas, {
      numPartitions: int('share.coordinator.state.topic.num.partitions'),
      segmentBytes: int('share.coordinator.state.topic.segment.bytes'),
      replicationFactor: int('share.coordinator.state.topic.replication.factor'),
    });
    this.shareStates = new ShareStateStore(this.shareStateTopic, log, () => clock.nowMs());
    this.shareStates.load();
    this.shares = new SharePartitionManager({
      replicas: this.replicas,
      persister: new SharePersister({
        nodeId: meta.nodeId,
        store: this.shareStates,
        coordinatorOf: (partition) => {
          const leader = this.image.topicsByName.get(SHARE_GROUP_STATE_TOPIC)?.partitions[partition]?.leader ?? -1;
          return leader >= 0 ? leader : null;
        },
        clientFor: (brokerId) => this.brokerClient(brokerId),
        log,
      }),
      clock,
      log,
      settings: {
        lockDurationMs: (groupId) => Number(this.image.groupConfigs.get(groupId)?.get('share.record.lock.duration.ms') ?? int('group.share.record.lock.duration.ms')),
        deliveryCountLimit: int('group.share.delivery.count.limit'),
        maxInFlightRecords: int('group.share.partition.max.record.locks'),
        maxSessions: Math.min(int('group.share.max.share.sessions'), limits.shareSessionsMax),
        autoOffsetReset: (groupId) => parseShareAutoOffsetReset(this.image.groupConfigs.get(groupId)?.get('share.auto.offset.reset') ?? 'latest') ?? { kind: 'latest' },
        readCommitted: (groupId) => this.image.groupConfigs.get(groupId)?.get('share.isolation.level') === 'read_committed',
        writeTimeoutMs: int('offsets.commit.timeout.ms'),
      },
    });
    this.producerIds = new ProducerIdManager(brokerOnly ? () => this.allocateProducerIdsRemotely() : (size) => this.controller.allocateProducerIds(size));
    this.transactionsTopic = new InternalTopic(TRANSACTION_STATE_TOPIC, this.controller, this.image, this.replicas, {
      numPartitions: int('transaction.state.log.num.partitions'),
      segmentBytes: int('transaction.state.log.segment.bytes'),
      replicationFactor: int('transaction.state.log.replication.factor'),
    });
    this.transactions = new TransactionCoordinator(
      this.transactionsTopic,
      this.producerIds,
      (job) => this.markerChannel.write(job),
      {
        maxTimeoutMs: int('transaction.max.timeout.ms'),
        abortCheckIntervalMs: int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
        idExpirationMs: int('transactional.id.expiration.ms'),
        idExpirationCheckIntervalMs: int('transaction.remove.expired.transaction.cleanup.interval.ms'),
        writeTimeoutMs: int('request.timeout.ms'),
      },
      log,
      clock,
    );
    this.markerChannel = new TxnMarkerChannel({
      nodeId: meta.nodeId,
      image: this.image,
      writeLocal: (tp, job) => this.writeTxnMarker(tp, job.producerId, job.producerEpoch, job.commit, job.coordinatorEpoch, int('request.timeout.ms')),
      clientFor: (brokerId) => this.brokerClient(brokerId),
      retryBackoffMs: 100,
      log,
    });
    this.txnPartitionChecks = new TxnPartitionChecks({
      coordinatorFor: (transactionalId) => {
        const leader = this.image.topicsByName.get(TRANSACTION_STATE_TOPIC)?.partitions[this.transactionsTopic.partitionFor(transactionalId)]?.leader ?? -1;
        return leader >= 0 ? leader : null;
      },
      clientFor: (brokerId) => this.brokerClient(brokerId),
      log,
    });
    this.transactions.load();
    // Coordinators live on the leaders of their internal partitions and move with them.
    this.replicas.onLeadershipChange((topic, partition, leader) => {
      this.shares.onLeadershipChange(topic, partition, leader);
      if (topic === SHARE_GROUP_STATE_TOPIC) {
        if (leader) this.shareStates.load(partition);
        else this.shareStates.unload(partition);
        return;
      }
      const coordinator = topic === OFFSETS_TOPIC ? this.groups : topic === TRANSACTION_STATE_TOPIC ? this.transactions : null;
      if (!coordinator) return;
      if (leader) coordinator.onElection(partition);
      else coordinator.onResignation(partition);
    });
    registerAll(this.handlers);
    // group.coordinator.rebalance.protocols without `consumer`: no KIP-848 APIs, as Kafka (clients
    // with group.protocol=consumer then fail, saying the broker does not support it).
    if (!String(config.get('group.coordinator.rebalance.protocols')).split(',').map((s) => s.trim()).includes('consumer')) {
      for (const h of [consumerGroupHeartbeatHandler, consumerGroupDescribeHandler]) this.handlers.unregister(h.codec.apiKey);
    }
    // A broker-only node hands metadata changes to the controller (Kafka forwards them too).
    if (this.controllerClient) for (const h of forwardingHandlers(this.controllerClient)) this.handlers.replace(h);
    const controllerEndpoint = config.roles.has('controller') ? config.listeners.find((l) => config.controllerListenerNames.includes(l.name)) : undefined;
    if (controllerEndpoint) registerControllerApis(this.controllerHandlers);
    const net = { ...config.net, maxConnections: Math.min(config.net.maxConnections, connectionsMax) };
    const securityDeps = { scramCredentials: imageScramLookup(this.image), log };
    this.controllerListener = controllerEndpoint ? new Listener(this, this.controllerHandlers, log, net, controllerEndpoint, listenerSecurity(config, controllerEndpoint, securityDeps)) : null;
    const brokerEndpoints = config.roles.has('broker') ? config.listeners.filter((l) => !config.controllerListenerNames.includes(l.name)) : [];
    this.interBrokerSecurity = clientSecurity(config, config.interBrokerListenerName, 'sasl.mechanism.inter.broker.protocol', { lazy: true });
    this.clientListeners = brokerEndpoints.map((endpoint) => ({ endpoint, server: new Listener(this, this.handlers, log, net, endpoint, listenerSecurity(config, endpoint, securityDeps)), port: 0 }));
  }

  static async start(opts: BrokerOptions = {}): Promise<Broker> {
    const t0 = performance.now();
    const log = opts.logger ?? createLogger();
    checkLimits();
    // An unknown release is refused before anything starts.
    if (opts.kafkaVersion !== undefined) releaseLine(opts.kafkaVersion);
    const properties: Record<string, string> = { ...(opts.properties ?? {}) };
    const config0 = loadBrokerConfig({ ...opts, properties });
    if (opts.host !== undefined || opts.port !== undefined) {
      const host = opts.host ?? config0.listener.host;
      const port = opts.port ?? config0.listener.port;
      properties['listeners'] = listenersWithClientAddress(config0, host, port);
    }
    if (opts.dataDir !== undefined) properties['log.dirs'] = opts.dataDir;
    const config = loadBrokerConfig({ ...opts, properties });
    log.info(describeNative());
    const fdLimit = openFilesLimit();
    const io = new BoundedFileIO(opts.io ?? defaultFileIO(), logFileHandlesMax(fdLimit));
    const connectionsMax = connectionsMaxFor(fdLimit, io.handlesMax);
    log.info(`open-file limit ${fdLimit === Number.MAX_SAFE_INTEGER ? 'unlimited' : fdLimit}: up to ${io.handlesMax} log files open at once`);
    if (connectionsMax < config.net.maxConnections) {
      log.info(`max.connections ${config.net.maxConnections} lowered to ${connectionsMax}: what the open-file limit leaves beside the log files (raise ulimit -n for more)`);
    }

    let meta = readMetaProperties(config.dataDir);
    if (!meta && !config.roles.has('controller')) {
      throw new ConfigError(`${config.dataDir} is not formatted: a broker-only node must be formatted with its cluster's id first (sluice format --data-dir ${config.dataDir} --cluster-id <id> --node-id ${config.nodeId} --broker-only)`);
    }
    if (!meta) {
      meta = formatDataDir({ dataDir: config.dataDir, nodeId: config.nodeId, io, ...(opts.clusterId ? { clusterId: opts.clusterId } : {}) });
      log.info(`formatted ${config.dataDir} (cluster id ${meta.clusterId}, node id ${meta.nodeId})`);
    } else if (meta.nodeId !== config.nodeId) {
      throw new ConfigError(`${config.dataDir} belongs to node ${meta.nodeId}, but node.id is ${config.nodeId}; set node.id=${meta.nodeId} or use another data directory`);
    }

    if (!config.roles.has('controller') && config.quorum.voters.length === 0 && config.quorum.bootstrapServers.length === 0) {
      throw new ConfigError('a broker-only node (process.roles=broker) needs controller.quorum.voters or controller.quorum.bootstrap.servers to find its controller');
    }
    const broker = new Broker(config, meta, log, MetadataLog.open(config.dataDir, io), io, connectionsMax, clockFor(opts.clock, log));
    let binding = config.listener;
    try {
      if (!config.roles.has('broker')) {
        // A controller-only node (process.roles=controller): its CONTROLLER listener alone, where
        // brokers register, heartbeat, copy the metadata log and send their admin requests.
        broker.controllerPort = await broker.controllerListener!.listen(config.listener.host, config.listener.port);
        broker.listenPort = broker.controllerPort;
        if (!config.explicit.has('advertised.listeners')) broker.advertisedPort = broker.controllerPort;
        broker.startFlushTimer();
        broker.readyMs = performance.now() - t0;
        return broker;
      }
      for (const l of broker.clientListeners) {
        binding = l.endpoint;
        l.port = await l.server.listen(l.endpoint.host, l.endpoint.port);
        if (l.endpoint.securityProtocol === 'PLAINTEXT' && !isLoopback(l.endpoint.host)) {
          log.warn(`listener ${l.endpoint.name} accepts unauthenticated, unencrypted connections on ${l.endpoint.host === '' ? 'every interface' : l.endpoint.host}; use SSL or SASL_SSL for anything reachable from other machines`);
        }
      }
      const primary = broker.clientListeners.find((l) => l.endpoint.name === config.listener.name) ?? broker.clientListeners[0]!;
      if (!config.explicit.has('advertised.listeners')) broker.advertisedPort = primary.port;
      broker.listenPort = primary.port;
      const controller = config.listeners.find((l) => config.controllerListenerNames.includes(l.name));
      if (broker.controllerListener && controller) {
        binding = controller;
        broker.controllerPort = await broker.controllerListener.listen(controller.host, controller.port);
        // Registered with the ports actually bound (a configured port 0 included).
        await broker.joinCluster();
      }
      if (broker.controllerClient) await broker.joinAsBrokerOnly(broker.controllerClient);
    } catch (err) {
      await broker.leaveCluster().catch(() => {});
      for (const l of broker.clientListeners) await l.server.stop().catch(() => {});
      await broker.controllerListener?.stop().catch(() => {});
      void broker.recordChecks.close();
      broker.closeStorage();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        throw new ConfigError(`port ${binding.port} on ${binding.host} is in use; stop the other process or pick another port with --port`);
      }
      throw err;
    }
    if (opts.kafkaVersion !== undefined) {
      try {
        broker.setKafkaVersion(opts.kafkaVersion);
      } catch (err) {
        await broker.stop();
        throw err;
      }
    }
    if (opts.adminPort !== undefined) {
      try {
        broker.admin = new AdminServer(broker.faults, broker.clock, broker);
        broker.adminPort = await broker.admin.listen('127.0.0.1', opts.adminPort);
      } catch (err) {
        await broker.stop();
        const e = err as NodeJS.ErrnoException;
        throw e.code === 'EADDRINUSE' ? new ConfigError(`admin port ${opts.adminPort} on 127.0.0.1 is in use; pick another with --admin-port`) : err;
      }
    }
    broker.startFlushTimer();
    broker.readyMs = performance.now() - t0;
    return broker;
  }

  // ---- Cluster operations of the test-control plane (control/cluster-ops.ts) ----

  get hasController(): boolean {
    return this.config.roles.has('controller');
  }

  moveLeader(topic: string, partition: number, brokerId: number): MovedLeader {
    if (!this.hasController) throw new ClusterOpError(`node ${this.nodeId} is a broker-only node: move a leader through the controller node's admin endpoint`);
    if (!Number.isInteger(partition) || partition < 0 || !Number.isInteger(brokerId) || brokerId < 0) throw new ClusterOpError('partition and broker must be non-negative integers', 400);
    const outcome = this.controller.moveLeader(topic, partition, brokerId);
    if (outcome.errorCode !== ErrorCode.NONE) throw new ClusterOpError(outcome.errorMessage ?? `error ${outcome.errorCode}`, outcome.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 404 : 409);
    this.log.info(`test control: ${topic}-${partition} is led by broker ${brokerId} (leader epoch ${outcome.leaderEpoch})`);
    return { topic, partition, leader: brokerId, leaderEpoch: outcome.leaderEpoch! };
  }

  /**
   * Moves the leader of every partition with another live in-sync replica to one of them, picked by
   * a generator seeded with `seed` (kfake's ShufflePartitionLeaders): each a real partition change,
   * leader epoch bumped. Internal topics included. The partitions moved.
   */
  shuffleLeaders(seed = Date.now()): MovedLeader[] {
    if (!this.hasController) throw new ClusterOpError(`node ${this.nodeId} is a broker-only node: shuffle leaders through the controller node's admin endpoint`);
    const random = seededRandom(seed);
    const moved: MovedLeader[] = [];
    for (const t of [...this.image.topicsByName.values()]) {
      for (const p of t.partitions) {
        const others = p.isr.filter((id) => id !== p.leader && !(this.image.brokers.get(id)?.fenced ?? true));
        if (others.length === 0 || (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0) continue;
        moved.push(this.moveLeader(t.name, p.partition, others[Math.floor(random() * others.length)]!));
      }
    }
    return moved;
  }

  /** Applies retention now (kfake's ApplyRetention), at the clock's time: the segments deleted. */
  applyRetentionNow(): number {
    return this.logs.applyRetention(this.clock.nowMs());
  }

  /** Runs a log cleaner pass now (kfake's Compact), at the clock's time. */
  compactNow(): CleanerStats {
    return this.logs.cleanAll(this.clock.nowMs());
  }

  pinCoordinator(key: CoordinatorKey, brokerId: number): MovedLeader {
    const hasGroup = typeof key.group === 'string';
    const hasTxn = typeof key.transactionalId === 'string';
    if (hasGroup === hasTxn) throw new ClusterOpError('name either a group or a transactionalId', 400);
    if (!this.hasController) throw new ClusterOpError(`node ${this.nodeId} is a broker-only node: pin a coordinator through the controller node's admin endpoint`);
    const store = hasGroup ? this.offsetsTopic : this.transactionsTopic;
    const problem = store.ensure();
    if (problem) throw new ClusterOpError(problem);
    const topic = hasGroup ? OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC;
    return this.moveLeader(topic, store.partitionFor(hasGroup ? key.group! : key.transactionalId!), brokerId);
  }

  async down(): Promise<void> {
    if (this.isDown || this.stopped) return;
    this.isDown = true;
    this.lifecycle?.pause();
    for (const l of this.clientListeners) await l.server.stop();
    this.log.info(`test control: broker ${this.nodeId} is down (not answering, not heartbeating; the controller fences it after ${this.config.replication.brokerSessionTimeoutMs} ms)`);
  }

  async up(): Promise<void> {
    if (!this.isDown || this.stopped) return;
    for (const l of this.clientListeners) l.port = await l.server.listen(l.endpoint.host, l.port);
    this.lifecycle?.resume();
    this.isDown = false;
    this.log.info(`test control: broker ${this.nodeId} is up again`);
  }

  /**
   * The read replica this leader names to consumers at Fetch v11+ for a partition, whatever their
   * rack (librdkafka mock's partition_set_follower, kfake's SetFollowers): a replica of the
   * partition that then serves their fetches; null goes back to the rack-aware choice.
   */
  setReadReplica(topic: string, partition: number, brokerId: number | null): { topic: string; partition: number; readReplica: number | null } {
    const p = this.replicas.getPartition(topic, partition);
    if (!p) throw new ClusterOpError(`${topic}-${partition} is not held here`, 404);
    if (!p.isLeader) throw new ClusterOpError(`this broker does not lead ${topic}-${partition}: set its read replica on broker ${p.leaderId}`);
    const key = `${topic}\u0000${partition}`;
    if (brokerId === null) this.readReplicas.delete(key);
    else if (!p.replicas.includes(brokerId)) throw new ClusterOpError(`broker ${brokerId} holds no replica of ${topic}-${partition} (replicas ${p.replicas.join(', ')})`);
    else this.readReplicas.set(key, brokerId);
    return { topic, partition, readReplica: brokerId };
  }

  /** Read replicas set by a test (setReadReplica), by topic and partition. */
  readonly readReplicas = new Map<string, number>();

  hideBroker(brokerId: number, hidden: boolean): number[] {
    if (!Number.isInteger(brokerId) || brokerId < 0) throw new ClusterOpError('broker must be a non-negative integer', 400);
    if (hidden) this.hiddenBrokers.add(brokerId);
    else this.hiddenBrokers.delete(brokerId);
    return [...this.hiddenBrokers].sort((a, b) => a - b);
  }

  kafkaVersionView(): KafkaVersionView {
    const release = this.kafkaVersion ? KAFKA_RELEASES[this.kafkaVersion]! : null;
    const gaps = this.kafkaVersion ? rangesFor(this.kafkaVersion, this.ownRanges()).gaps : [];
    return {
      version: this.kafkaVersion,
      source: release?.source ?? null,
      mode: release?.mode ?? null,
      apis: this.handlers.advertised().map((a) => ({ apiKey: a.apiKey, apiName: apiName(a.apiKey), minVersion: a.minVersion, maxVersion: a.maxVersion })),
      gaps,
    };
  }

  /** Advertises the API ranges of an older Kafka release (null: Sluice's own); throws ConfigError for an unknown one. */
  setKafkaVersion(version: string | null): KafkaVersionView {
    if (version === null) {
      this.kafkaVersion = null;
    } else {
      const line = releaseLine(version);
      this.kafkaVersion = line;
      this.log.info(`advertising the API ranges of Apache Kafka ${line} (recorded from ${KAFKA_RELEASES[line]!.source})`);
    }
    this.applyApiRanges();
    return this.kafkaVersionView();
  }

  /**
   * One API's advertised range, over the release's (librdkafka mock's set_apiversion): served
   * versions outside it are refused as Kafka refuses unsupported ones; null takes the API off
   * (not advertised, its requests close the connection). Within what Sluice serves.
   */
  setApiVersions(apiKey: number, range: { minVersion: number; maxVersion: number } | null): KafkaVersionView {
    const h = this.handlers.get(apiKey);
    if (!h) throw new ConfigError(`API key ${apiKey} is not served by Sluice`);
    if (range !== null) {
      const { minVersion, maxVersion } = range;
      if (!Number.isInteger(minVersion) || !Number.isInteger(maxVersion) || minVersion > maxVersion || minVersion < h.minVersion || maxVersion > h.maxVersion) {
        throw new ConfigError(`${h.codec.name} versions must be a range within ${h.minVersion}-${h.maxVersion}, the versions Sluice serves`);
      }
    }
    if (apiKey === 18 && range === null) throw new ConfigError('ApiVersions cannot be taken off: clients could not learn any version');
    this.apiOverrides.set(apiKey, range);
    this.applyApiRanges();
    return this.kafkaVersionView();
  }

  /** Drops every setApiVersions override. */
  clearApiVersions(): KafkaVersionView {
    this.apiOverrides.clear();
    this.applyApiRanges();
    return this.kafkaVersionView();
  }

  /** Per-API ranges set by a test (null: taken off), over the release's or Sluice's own. */
  private readonly apiOverrides = new Map<number, { minVersion: number; maxVersion: number } | null>();

  private applyApiRanges(): void {
    if (this.kafkaVersion === null && this.apiOverrides.size === 0) {
      this.handlers.restrict(null);
      return;
    }
    const base = new Map<number, { minVersion: number; maxVersion: number }>(
      this.kafkaVersion === null ? this.ownRanges().map((r) => [r.apiKey, { minVersion: r.minVersion, maxVersion: r.maxVersion }]) : rangesFor(this.kafkaVersion, this.ownRanges()).ranges,
    );
    for (const [apiKey, range] of this.apiOverrides) {
      if (range === null) base.delete(apiKey);
      else base.set(apiKey, range);
    }
    this.handlers.restrict(base);
  }

  /** The handlers' own ranges, whatever is advertised now. */
  private ownRanges(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    const out: Array<{ apiKey: number; minVersion: number; maxVersion: number }> = [];
    for (let k = 0; k < 256; k++) {
      const h = this.handlers.get(k);
      if (h) out.push({ apiKey: k, minVersion: h.minVersion, maxVersion: h.maxVersion });
    }
    return out;
  }

  /** The admin endpoint (faults over HTTP), when asked for with adminPort; its port, else 0. */
  private admin: AdminServer | null = null;
  adminPort = 0;
  listenPort = 0;
  /** The port of the CONTROLLER listener; 0 when this node has none. */
  controllerPort = 0;
  readyMs = 0;

  /** The log entry of the next answered request that matches (control/request-log.ts). */
  nextRequest(matcher: RequestMatcher = {}, opts: { timeoutMs?: number } = {}): Promise<RequestLogEntry> {
    return this.observer.requests.nextRequest(matcher, opts);
  }

  /** The state of one partition held here, or null. */
  partitionState(topic: string, partition: number): PartitionStateView | null {
    return partitionStates(this.replicas, topic, partition)[0] ?? null;
  }

  /** The state of every partition held here (GET /partitions). */
  partitionStates(): PartitionStateView[] {
    return partitionStates(this.replicas);
  }

  get clusterId(): string {
    return this.meta.clusterId;
  }

  get nodeId(): number {
    return this.meta.nodeId;
  }

  get advertisedHost(): string {
    return reachableHost(this.config.advertised.host);
  }

  /**
   * Where clients of a listener reach this broker: its advertised.listeners entry, else the
   * listener itself at the port actually bound (a configured port 0 included); null for a
   * listener this broker does not have.
   */
  advertisedEndpoint(listenerName: string): { host: string; port: number } | null {
    const adv = this.config.advertisedListeners.get(listenerName);
    if (!adv) return null;
    const bound = this.clientListeners.find((l) => l.endpoint.name === listenerName)?.port ?? 0;
    const port = this.config.explicit.has('advertised.listeners') && adv.port !== 0 ? adv.port : bound || adv.port;
    return { host: reachableHost(adv.host), port };
  }

  /** Bound ports by listener name (the broker listeners; 0 before start). */
  listenerPorts(): Map<string, number> {
    return new Map(this.clientListeners.map((l) => [l.endpoint.name, l.port]));
  }

  /**
   * The controller's APIs called in process (a combined node's broker talking to its own
   * controller, as Kafka's combined node does over its CONTROLLER listener). Answers as the
   * listener would, at the handler's highest version.
   */
  private localControllerChannel(): ControllerChannel {
    return {
      request: async <Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res> => {
        const handler = this.controllerHandlers.get(codec.apiKey);
        if (!handler) throw new Error(`the controller does not serve ${codec.name}`);
        const ctx: RequestContext = {
          broker: this,
          handlers: this.controllerHandlers,
          apiVersion: handler.maxVersion,
          correlationId: 0,
          clientId: `broker-${this.nodeId}`,
          clientHost: '/127.0.0.1',
          session: IN_PROCESS_SESSION,
          onClose: () => () => {},
          takeResponseBytes: (bytes) => bytes,
          returnResponseBytes: () => {},
        };
        const res = await handler.handle(body, ctx);
        if (res === null || res === CLOSE_CONNECTION) throw new Error(`the controller sent no answer to ${codec.name}`);
        return res as Res;
      },
    };
  }

  /**
   * A node with a CONTROLLER listener is a cluster member: its broker registers with the
   * controller (Kafka's combined node does; here in process), heartbeats, and is unfenced before
   * clients are let in (joinMembership).
   */
  private async joinCluster(): Promise<void> {
    await this.joinMembership(this.localControllerChannel());
  }

  /**
   * A broker-only node joins its controller over the network: registers, copies the metadata log
   * (metadata/metadata-fetcher.ts) until it has caught up, is unfenced, takes a first block of
   * producer ids, and from then on follows the partitions other brokers lead.
   */
  private async joinAsBrokerOnly(client: NodeClient): Promise<void> {
    // Its own connection: a long poll of the metadata log must not hold up heartbeats and forwards.
    this.metadataClient = controllerClientFor(this.config, this.nodeId);
    const fetcher = new MetadataFetcher(this.metadataClient, this.metadataLog, this.image, (records) => this.publisher.apply(records), {
      nodeId: this.nodeId,
      maxWaitMs: 500,
      backoffMs: 100,
      maxBytes: 8 << 20,
      onError: (m) => this.log.warn(m),
    });
    this.metadataFetcher = fetcher;
    void fetcher.caughtUp.then(() => this.authorizer?.markLoaded());
    fetcher.start();
    await this.joinMembership(client, fetcher.caughtUp);
    this.producerIds.prefetch();
  }

  /**
   * Registration and heartbeats (metadata/broker-lifecycle.ts) with `channel`; unfenced once
   * `caughtUp` (the metadata this broker has is the controller's); then ISR changes go to the
   * controller as AlterPartition, followers are checked for lag every replica.lag.time.max.ms / 2
   * (Kafka's isr-expiration task), and the partitions led elsewhere are fetched from their
   * leaders (replica/replica-fetcher.ts).
   */
  private async joinMembership(channel: ControllerChannel, caughtUp: Promise<void> = Promise.resolve()): Promise<void> {
    const settings = lifecycleSettings(this.config, this.meta);
    settings.listeners = settings.listeners.map((l) => (l.port === 0 ? { ...l, port: this.advertisedEndpoint(l.name)?.port ?? 0 } : l));
    this.lifecycle = new BrokerLifecycle({ ...settings, channel, rack: this.config.get('broker.rack') || null, metadataOffset: () => this.image.lastOffset, logger: this.log });
    this.lifecycle.start();
    await this.lifecycle.registered;
    await caughtUp;
    await this.lifecycle.setReadyToUnfence();
    this.replicas.onIsrChange = (change) => void this.alterIsr(channel, change);
    const r = this.config.replication;
    this.isrTimer = setInterval(() => this.replicas.maybeShrinkIsrs(Date.now(), r.replicaLagTimeMaxMs), Math.max(10, Math.floor(r.replicaLagTimeMaxMs / 2)));
    this.isrTimer.unref();
    this.replicas.fetchers = new ReplicaFetcherManager(
      this.replicas,
      { replicaId: this.nodeId, maxWaitMs: r.replicaFetchWaitMaxMs, minBytes: r.replicaFetchMinBytes, maxBytes: r.replicaFetchResponseMaxBytes, partitionMaxBytes: r.replicaFetchMaxBytes, backoffMs: r.replicaFetchBackoffMs },
      (leaderId) => this.leaderEndpoint(leaderId),
      (m) => this.log.warn(m),
    );
    this.publisher.goLive();
  }

  /** Another broker's endpoint of the inter-broker listener, from its registration. */
  private brokerEndpoint(brokerId: number): { host: string; port: number } | null {
    const reg = this.image.brokers.get(brokerId);
    return reg?.endpoints.find((e) => e.name === this.config.interBrokerListenerName) ?? reg?.endpoints[0] ?? null;
  }

  /** How this broker reaches a leader to fetch from it. */
  private leaderEndpoint(leaderId: number): LeaderEndpoint | null {
    const ep = this.brokerEndpoint(leaderId);
    if (!ep) return null;
    const r = this.config.replication;
    const client = new NodeClient({
      ...this.interBrokerSecurity,
      host: ep.host,
      port: ep.port,
      clientId: `replica-fetcher-${this.nodeId}`,
      requestTimeoutMs: Math.max(30_000, r.replicaFetchWaitMaxMs * 2),
      connectTimeoutMs: 10_000,
      reconnectBackoffMs: r.replicaFetchBackoffMs,
      inFlightMax: 1,
      responseBytesMax: r.replicaFetchResponseMaxBytes + 1024 * 1024,
    });
    return { leaderId, fetch: (req) => client.request(Fetch, req, { version: 12 }), listOffsets: (req) => client.request(ListOffsets, req), close: () => client.close() };
  }

  /** A broker-only node asks the controller to create an internal or auto-created topic (once at a time). */
  private forwardTopicCreation(name: string): void {
    if (!this.controllerClient || this.creating.has(name)) return;
    this.creating.add(name);
    this.controllerClient
      .request(CreateTopics, { topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false })
      .then((res) => {
        const code = res.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) this.log.warn(`the controller did not create ${name}: error ${code}`);
      })
      .catch((e: unknown) => this.log.warn(`asking the controller to create ${name} failed: ${(e as Error).message}`))
      .finally(() => this.creating.delete(name));
  }

  /** A broker-only node's block of producer ids, from the controller (AllocateProducerIds). */
  private async allocateProducerIdsRemotely(): Promise<{ start: bigint; end: bigint }> {
    const res = await this.controllerClient!.request(AllocateProducerIds, { brokerId: this.nodeId, brokerEpoch: this.lifecycle?.brokerEpoch ?? -1n });
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`the controller refused producer ids: error ${res.errorCode}`);
    return { start: res.producerIdStart, end: res.producerIdStart + BigInt(res.producerIdLen) };
  }

  /** Stops the lifecycle, the metadata copy, the replica fetchers and the connections to the controller. */
  private async leaveCluster(): Promise<void> {
    if (this.isrTimer) clearInterval(this.isrTimer);
    this.lifecycle?.close();
    await this.metadataFetcher?.stop();
    this.metadataClient?.close();
    await this.replicas.fetchers?.stopAll();
    for (const c of this.brokerClients.values()) c.close();
    this.controllerClient?.close();
  }

  /** Asks the controller for an ISR change; the partition may ask again when it is refused. */
  private async alterIsr(channel: ControllerChannel, change: IsrChange): Promise<void> {
    const topic = this.image.topicsByName.get(change.topic);
    const failed = (why: string, expected = false): void => {
      // A follower on a broker that is fenced or shutting down (INELIGIBLE_REPLICA) is asked for
      // again at each of its fetches: expected, and only a debug line.
      const line = `ISR change of ${change.topic}-${change.partition} to ${JSON.stringify(change.isr)} not made: ${why}`;
      if (expected) this.log.debug(line);
      else this.log.info(line);
      this.replicas.isrChangeFailed(change.topic, change.partition);
    };
    if (!topic || !this.lifecycle) return failed('the topic is gone');
    const newIsrWithEpochs = change.isr.map((brokerId) => ({ brokerId, brokerEpoch: this.image.brokers.get(brokerId)?.brokerEpoch ?? -1n }));
    try {
      const res = await channel.request(AlterPartition, {
        brokerId: this.nodeId,
        brokerEpoch: this.lifecycle.brokerEpoch,
        topics: [{ topicName: change.topic, topicId: topic.topicIdBytes, partitions: [{ partitionIndex: change.partition, leaderEpoch: change.leaderEpoch, newIsr: [], newIsrWithEpochs, leaderRecoveryState: 0, partitionEpoch: change.partitionEpoch }] }],
      });
      const code = res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
      // Success: the committed PartitionChange reaches the partition through the publisher.
      if (code !== ErrorCode.NONE) failed(`the controller answered error ${code}`, code === ErrorCode.INELIGIBLE_REPLICA);
    } catch (e) {
      failed((e as Error).message);
    }
  }

  /**
   * Kafka 4's controller records min.insync.replicas as a cluster-wide dynamic config (from its
   * own server.properties) when the cluster starts with eligible leader replicas (KIP-966), and
   * refuses to remove it after; DescribeConfigs then shows it with source
   * DYNAMIC_DEFAULT_BROKER_CONFIG. Done here on the first start (and after an upgrade).
   */
  private recordClusterMinInsyncReplicas(log: Logger): void {
    if (this.image.brokerConfigs.get('')?.has(MIN_INSYNC_REPLICAS)) return;
    const cluster = new Map(this.image.brokerConfigs.get('') ?? []);
    cluster.set(MIN_INSYNC_REPLICAS, this.config.get(MIN_INSYNC_REPLICAS) ?? '1');
    const out = this.controller.alterConfigs({ type: 'broker', name: '' }, cluster, false);
    if (out.errorCode !== ErrorCode.NONE) log.warn(`could not record the cluster-wide ${MIN_INSYNC_REPLICAS}: ${out.errorMessage}`);
  }

  /**
   * An older Sluice let a client create a topic named `__cluster_metadata`, whose partition 0
   * directory is the metadata log's own. Such a topic is dropped from the image at start (never
   * opened, served or deleted), so nothing can reach the metadata log through it again.
   */
  private forgetReservedTopic(log: Logger): void {
    const t = this.image.topicsByName.get(METADATA_TOPIC);
    if (!t) return;
    log.warn(`ignoring a topic named ${METADATA_TOPIC} recorded by an older Sluice: the name is reserved for the metadata log`);
    this.image.topicsByName.delete(t.name);
    this.image.topicsById.delete(t.topicId);
  }

  private startFlushTimer(): void {
    const interval = this.config.flushSchedulerIntervalMs;
    const every = Math.min(interval, 1000);
    const clock = this.clock;
    this.flushTimer = clock.setInterval(() => this.logs.maybeFlushAll(clock.nowMs()), every).unref();
    // Read at each check: producer.id.expiration.ms is a dynamic broker config (AlterConfigs).
    this.producerExpiryTimer = clock
      .setInterval(() => this.logs.expireProducers(clock.nowMs(), Number(this.config.get('producer.id.expiration.ms'))), Number(this.config.get('producer.id.expiration.check.interval.ms')))
      .unref();
    this.retentionTimer = clock.setInterval(() => this.logs.applyRetention(clock.nowMs()), Number(this.config.get('log.retention.check.interval.ms'))).unref();
    this.scheduleCleaner();
    if (this.config.roles.has('controller')) {
      this.startFenceTimer();
      this.scheduleLeaderBalance();
    }
  }

  /**
   * The controller fences brokers whose heartbeats stopped: checked every tenth of
   * broker.session.timeout.ms (at most every second, at least every 10 ms), so a silent broker is
   * fenced within 110% of its session (Kafka schedules the check at the next session's end).
   *
   * A check that comes late means this process did not run (a slow disk, a starved CPU, a stopped
   * process): the heartbeats brokers sent meanwhile wait unread in its sockets, and Node runs due
   * timers before it reads them. Kafka's controller notes a heartbeat's contact time on the request
   * thread, before its backlogged controller thread (where the check runs) gets to it; here a late
   * check is skipped once, so the sockets are read first and only a broker that really fell
   * silent is fenced, at the next check.
   */
  private startFenceTimer(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.controller.sessionTimeoutMs / 10)));
    let lastCheck = Date.now();
    let skipped = false;
    this.fenceTimer = setInterval(() => {
      const now = Date.now();
      const late = now - lastCheck > 2 * every;
      lastCheck = now;
      if (late && !skipped) {
        skipped = true;
        return;
      }
      skipped = false;
      try {
        const fenced = this.controller.fenceStaleBrokers(Date.now());
        if (fenced.length > 0) this.log.info(`fenced broker(s) ${fenced.join(', ')}: no heartbeat within broker.session.timeout.ms (${this.controller.sessionTimeoutMs} ms)`);
      } catch (e) {
        this.log.warn(`could not fence stale brokers: ${(e as Error).message}; trying again in ${every} ms`);
      }
    }, every);
    this.fenceTimer.unref();
  }

  /**
   * auto.leader.rebalance.enable: the controller moves leaderships back to preferred replicas every
   * leader.imbalance.check.interval.seconds (Kafka's default 300), at once again when a batch hit
   * its bound (metadata/controller.ts balancePartitionLeaders).
   */
  private scheduleLeaderBalance(delayMs = Number(this.config.get('leader.imbalance.check.interval.seconds')) * 1000): void {
    if ((this.config.get('auto.leader.rebalance.enable') ?? 'true').trim().toLowerCase() !== 'true') return;
    this.leaderBalanceTimer = setTimeout(() => {
      let more = false;
      try {
        const moved = this.controller.balancePartitionLeaders();
        if (moved > 0) this.log.info(`auto leader rebalance: ${moved} partition(s) led by their preferred replica again`);
        more = moved >= LEADER_ELECTIONS_PER_BALANCE_MAX;
      } catch (e) {
        this.log.warn(`auto leader rebalance failed: ${(e as Error).message}`);
      }
      if (!this.stopped) this.scheduleLeaderBalance(more ? 0 : undefined);
    }, delayMs);
    this.leaderBalanceTimer.unref();
  }

  /** A log cleaner pass every log.cleaner.backoff.ms (read each time: it is dynamic). */
  private scheduleCleaner(): void {
    const clock = this.clock;
    this.cleanerTimer = clock.setInterval(() => this.logs.cleanAll(clock.nowMs()), () => Number(this.config.get('log.cleaner.backoff.ms'))).unref();
  }

  /**
   * Writes a transaction marker to a partition this broker leads, lets the group coordinator see
   * it (offsets sent with a transaction), and answers once it is on every in-sync replica (or with
   * why not): the transaction coordinator here, and WriteTxnMarkers from one on another broker.
   */
  checkTxnPartitions(check: TxnPartitionCheck): Promise<number[]> {
    return this.txnPartitionChecks.check(check);
  }

  writeTxnMarker(tp: { topic: string; partition: number }, producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number, timeoutMs: number): number | Promise<number> {
    const out = this.replicas.appendMarker(tp.topic, tp.partition, producerId, producerEpoch, commit, coordinatorEpoch);
    if ('errorCode' in out) return out.errorCode;
    if (tp.topic === OFFSETS_TOPIC) this.groups.onTxnMarker(producerId, commit);
    return this.replicas.whenReplicated(tp.topic, tp.partition, out.offset, timeoutMs) ?? ErrorCode.NONE;
  }

  /** A connection to another broker's inter-broker listener (kept while its address stays the same); null while unknown. */
  private brokerClient(brokerId: number): NodeClient | null {
    const ep = this.brokerEndpoint(brokerId);
    if (!ep) return null;
    const known = this.brokerClients.get(brokerId);
    if (known && known.opts.host === ep.host && known.opts.port === ep.port) return known;
    known?.close();
    const client = new NodeClient({
      ...this.interBrokerSecurity,
      host: ep.host,
      port: ep.port,
      clientId: `broker-${this.nodeId}`,
      requestTimeoutMs: Number(this.config.get('request.timeout.ms')) + 5_000,
      connectTimeoutMs: 10_000,
      reconnectBackoffMs: 100,
      inFlightMax: 16,
      responseBytesMax: 1 << 20,
    });
    this.brokerClients.set(brokerId, client);
    return client;
  }

  /**
   * Closes every log it can; one that fails is left as a crash leaves it (the next start recovers
   * it). Returns the failures, one line each.
   */
  private closeStorage(): string[] {
    this.transactions.close();
    this.groups.close();
    this.shares.close();
    const failures = this.logs.closeAll();
    try {
      this.metadataLog.close();
    } catch (e) {
      failures.push(`metadata log: ${(e as Error).message}`);
    }
    return failures;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A broker a test took down (down()) talks to its controller again to shut down under control.
    this.lifecycle?.resume();
    // A cluster member shuts down under control (Kafka's controlled.shutdown.enable): the
    // controller moves its leaderships to other in-sync replicas first and marks it shut down, so
    // clients see only retriable errors and a restart registers at once.
    if (this.lifecycle && this.config.replication.controlledShutdownEnable) {
      const outcome = await this.lifecycle.beginControlledShutdown(Math.min(this.config.replication.brokerSessionTimeoutMs, 10_000)).catch(() => 'failed');
      if (outcome !== 'granted') this.log.info(`controlled shutdown ${outcome}; stopping anyway`);
    }
    for (const t of [this.flushTimer, this.producerExpiryTimer, this.retentionTimer, this.cleanerTimer]) this.clock.clearTimeout(t);
    if (this.fenceTimer) clearInterval(this.fenceTimer);
    if (this.leaderBalanceTimer) clearTimeout(this.leaderBalanceTimer);
    if (this.isrTimer) clearInterval(this.isrTimer);
    await this.leaveCluster();
    this.observer.requests.close();
    await this.admin?.stop();
    for (const l of this.clientListeners) await l.server.stop();
    await this.controllerListener?.stop();
    await this.recordChecks.close();
    const failures = this.closeStorage();
    if (failures.length > 0) {
      this.log.warn(`${failures.length} log(s) could not be closed cleanly and will be recovered at the next start; first: ${failures[0]}`);
    }
  }
}
