/**
 * One Sluice broker: a combined KRaft node (broker + controller) with one client listener.
 *
 * Start-up: read config -> format the data directory if it has no meta.properties -> replay the
 * `__cluster_metadata` log into the image -> open (and recover) every partition log -> register
 * the API handlers -> listen. Stop: close the listener and connections, flush and close every log
 * with its clean-shutdown marker.
 */
import { RecordCheckPool } from './log/decompress-pool.js';
import { mkdirSync } from 'node:fs';
import { registerAll } from './api/index.js';
import { HandlerRegistry } from './api/registry.js';
import { ConfigError, loadBrokerConfig, type BrokerConfig, type BrokerConfigInput } from './config/broker-config.js';
import { checkLimits, limits } from './config/limits.js';
import { defaultFileIO, type FileIO } from './log/file-io.js';
import { LogManager } from './log/log-manager.js';
import { createLogger, type Logger } from './logger.js';
import { Controller } from './metadata/controller.js';
import { MetadataImage } from './metadata/image.js';
import { METADATA_FEATURES, MetadataLog } from './metadata/metadata-log.js';
import { isValidClusterId, randomUuidString, readMetaProperties, writeMetaProperties, type MetaProperties } from './metadata/meta-properties.js';
import { Listener } from './net/server.js';
import { describeNative } from './native/index.js';
import { GroupCoordinator } from './group/coordinator.js';
import { InternalTopic, OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './metadata/internal-topic.js';
import { TransactionCoordinator } from './txn/coordinator.js';
import { ProducerIdManager } from './txn/producer-ids.js';

export interface BrokerOptions extends BrokerConfigInput {
  /** Shorthands for listeners/log.dirs; they win over the config file and overrides. */
  host?: string;
  port?: number;
  dataDir?: string;
  /** Cluster id to use if the data directory gets formatted at start. */
  clusterId?: string;
  logger?: Logger;
  io?: FileIO;
}

export interface FormatOptions {
  dataDir: string;
  clusterId?: string;
  nodeId?: number;
  io?: FileIO;
}

/** `sluice format`: writes meta.properties and the metadata log's bootstrap records. */
export function formatDataDir(opts: FormatOptions): MetaProperties {
  const existing = readMetaProperties(opts.dataDir);
  if (existing) {
    throw new ConfigError(`${opts.dataDir} is already formatted (cluster id ${existing.clusterId}, node id ${existing.nodeId}); remove it to start over`);
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
  new Controller(image, mlog, opts.nodeId ?? 1, { numPartitions: 1, replicationFactor: 1 }).bootstrap(METADATA_FEATURES);
  mlog.close();
  const meta = { clusterId, nodeId: opts.nodeId ?? 1, directoryId: randomUuidString() };
  writeMetaProperties(opts.dataDir, meta);
  return meta;
}

export class Broker {
  readonly handlers = new HandlerRegistry();
  readonly image = new MetadataImage();
  readonly controller: Controller;
  readonly logs: LogManager;
  readonly offsetsTopic: InternalTopic;
  readonly groups: GroupCoordinator;
  readonly producerIds: ProducerIdManager;
  readonly transactionsTopic: InternalTopic;
  readonly transactions: TransactionCoordinator;
  /** Record checks of produced compressed batches, in worker threads when large (log/decompress-pool.ts). */
  readonly recordChecks: RecordCheckPool;
  private readonly listener: Listener;
  private flushTimer: NodeJS.Timeout | null = null;
  private producerExpiryTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  advertisedPort: number;

  private constructor(
    readonly config: BrokerConfig,
    readonly meta: MetaProperties,
    readonly log: Logger,
    private readonly metadataLog: MetadataLog,
    io: FileIO,
  ) {
    this.advertisedPort = config.advertised.port;
    // Dynamic broker configs live in the image; the config reads them through these maps.
    this.image.brokerConfigs.set('', new Map());
    this.image.brokerConfigs.set(String(meta.nodeId), new Map());
    config.setDynamic({ node: this.image.brokerConfigs.get(String(meta.nodeId))!, cluster: this.image.brokerConfigs.get('')! });
    metadataLog.replay(this.image);
    this.logs = new LogManager(config.dataDir, io, config, log);
    this.recordChecks = new RecordCheckPool(log);
    this.logs.openAll([...this.image.topicsByName.values()].map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, configs: t.configs })));
    this.controller = new Controller(this.image, metadataLog, meta.nodeId, {
      numPartitions: config.numPartitions,
      replicationFactor: Number(config.get('default.replication.factor')),
    });
    this.controller.onCommit((records) => {
      for (const r of records) {
        if (r.type === 'Partition') {
          const t = this.image.topicsById.get(r.topicId);
          if (t) this.logs.ensurePartitions(t.name, t.topicId, t.partitions.length, t.configs);
        } else if (r.type === 'RemoveTopic') {
          this.logs.deleteTopicById(r.topicId);
        } else if (r.type === 'Config' && r.resourceType === 'topic') {
          const t = this.image.topicsByName.get(r.resourceName);
          if (t) this.logs.reconfigure(t.name, t.configs);
        } else if (r.type === 'Config') {
          for (const t of this.image.topicsByName.values()) this.logs.reconfigure(t.name, t.configs);
        }
      }
    });
    const int = (name: string): number => Number(config.get(name));
    this.offsetsTopic = new InternalTopic(OFFSETS_TOPIC, this.controller, this.image, this.logs, {
      numPartitions: int('offsets.topic.num.partitions'),
      segmentBytes: int('offsets.topic.segment.bytes'),
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
      },
      log,
    );
    this.groups.load();
    this.producerIds = new ProducerIdManager((size) => this.controller.allocateProducerIds(size));
    this.transactionsTopic = new InternalTopic(TRANSACTION_STATE_TOPIC, this.controller, this.image, this.logs, {
      numPartitions: int('transaction.state.log.num.partitions'),
      segmentBytes: int('transaction.state.log.segment.bytes'),
    });
    this.transactions = new TransactionCoordinator(
      this.transactionsTopic,
      this.producerIds,
      (tp, producerId, producerEpoch, commit, coordinatorEpoch) => this.writeMarker(tp, producerId, producerEpoch, commit, coordinatorEpoch),
      {
        maxTimeoutMs: int('transaction.max.timeout.ms'),
        abortCheckIntervalMs: int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
        idExpirationMs: int('transactional.id.expiration.ms'),
        idExpirationCheckIntervalMs: int('transaction.remove.expired.transaction.cleanup.interval.ms'),
      },
      log,
    );
    this.transactions.load();
    registerAll(this.handlers);
    this.listener = new Listener(this, log, config.socketRequestMaxBytes);
  }

  static async start(opts: BrokerOptions = {}): Promise<Broker> {
    const t0 = performance.now();
    const log = opts.logger ?? createLogger();
    checkLimits();
    const properties: Record<string, string> = { ...(opts.properties ?? {}) };
    const config0 = loadBrokerConfig({ ...opts, properties });
    if (opts.host !== undefined || opts.port !== undefined) {
      const host = opts.host ?? config0.listener.host;
      const port = opts.port ?? config0.listener.port;
      properties['listeners'] = `${config0.listener.name}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    }
    if (opts.dataDir !== undefined) properties['log.dirs'] = opts.dataDir;
    const config = loadBrokerConfig({ ...opts, properties });
    log.info(describeNative());
    const io = opts.io ?? defaultFileIO();

    let meta = readMetaProperties(config.dataDir);
    if (!meta) {
      meta = formatDataDir({ dataDir: config.dataDir, nodeId: config.nodeId, io, ...(opts.clusterId ? { clusterId: opts.clusterId } : {}) });
      log.info(`formatted ${config.dataDir} (cluster id ${meta.clusterId}, node id ${meta.nodeId})`);
    } else if (meta.nodeId !== config.nodeId) {
      throw new ConfigError(`${config.dataDir} belongs to node ${meta.nodeId}, but node.id is ${config.nodeId}; set node.id=${meta.nodeId} or use another data directory`);
    }

    const broker = new Broker(config, meta, log, MetadataLog.open(config.dataDir, io), io);
    try {
      const port = await broker.listener.listen(config.listener.host, config.listener.port);
      if (!config.explicit.has('advertised.listeners')) broker.advertisedPort = port;
      broker.listenPort = port;
    } catch (err) {
      broker.closeStorage();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        throw new ConfigError(`port ${config.listener.port} on ${config.listener.host} is in use; stop the other process or pick another port with --port`);
      }
      throw err;
    }
    broker.startFlushTimer();
    broker.readyMs = performance.now() - t0;
    return broker;
  }

  listenPort = 0;
  readyMs = 0;

  get clusterId(): string {
    return this.meta.clusterId;
  }

  get nodeId(): number {
    return this.meta.nodeId;
  }

  get advertisedHost(): string {
    const h = this.config.advertised.host;
    return h === '' || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h;
  }

  private startFlushTimer(): void {
    const interval = this.config.flushSchedulerIntervalMs;
    const every = Math.min(interval, 1000);
    this.flushTimer = setInterval(() => this.logs.maybeFlushAll(Date.now()), every);
    this.flushTimer.unref();
    const expirationMs = Number(this.config.get('producer.id.expiration.ms'));
    this.producerExpiryTimer = setInterval(() => this.logs.expireProducers(Date.now(), expirationMs), Number(this.config.get('producer.id.expiration.check.interval.ms')));
    this.producerExpiryTimer.unref();
    this.retentionTimer = setInterval(() => this.logs.applyRetention(Date.now()), Number(this.config.get('log.retention.check.interval.ms')));
    this.retentionTimer.unref();
    this.cleanerTimer = setInterval(() => this.logs.cleanAll(Date.now()), Number(this.config.get('log.cleaner.backoff.ms')));
    this.cleanerTimer.unref();
  }

  /** Writes a transaction marker to one partition and lets readers and the group coordinator see it. */
  private writeMarker(tp: { topic: string; partition: number }, producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number): void {
    const plog = this.logs.get(tp.topic, tp.partition);
    if (!plog) return; // the topic was deleted during the transaction
    plog.appendMarker(producerId, producerEpoch, commit, coordinatorEpoch);
    this.logs.notifyAppend(tp.topic, tp.partition);
    if (tp.topic === OFFSETS_TOPIC) this.groups.onTxnMarker(producerId, commit);
  }

  private closeStorage(): void {
    this.transactions.close();
    this.groups.close();
    this.logs.closeAll();
    this.metadataLog.close();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.producerExpiryTimer) clearInterval(this.producerExpiryTimer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    await this.listener.stop();
    await this.recordChecks.close();
    this.closeStorage();
  }
}
