/**
 * The partition logs of this broker: one directory per partition, `<topic>-<partition>`, under the
 * data directory (Kafka's layout). Opens every partition the metadata image names at start,
 * creates and deletes them as the controller commits (the replica layer's metadata publisher
 * calls it), and runs the per-log chores: flush, retention, producer expiry, compaction.
 *
 * Deleting a topic renames each partition directory to `<topic>-<partition>.<id>-delete` first
 * (atomic), then removes it; a crash in between leaves a `-delete` directory that the next start
 * removes. Directories that the image does not name are left alone and reported.
 *
 * A replica moved away (a partition reassignment took this broker out of its replicas) loses its
 * directory the same way (`deletePartitionLog`). A crash after the move was committed but before
 * the rename leaves the directory of a partition the image says another broker holds: the next
 * start removes it (a stray log, as Kafka 3.7+ does).
 *
 * New partitions are opened before the controller commits them (`prepare`): a partition that
 * cannot be opened (disk full, no file descriptor) is refused with its topic rather than
 * recorded and left unservable; a crash between the opening and the commit leaves empty
 * directories that the image does not name (reused if the topic is created again). Closing at
 * shutdown goes on past a partition that fails to close cleanly (the next start recovers it) and
 * returns the failures for the broker to report in one line.
 */
import { wallClock, type Clock } from '../control/clock.js';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { effectiveTopicConfig } from '../config/broker-config.js';
import type { FileIO } from './file-io.js';
import { isStorageFailure, LogStorageError, PartitionLog, type LogConfig } from './partition-log.js';
import { cleanerConfigFrom, cleanLog, type CleanerConfig } from './cleaner.js';
import { PRODUCER_COMPRESSION, targetCompressionFrom, type TargetCompression } from './recompress.js';

const DELETE_SUFFIX = '-delete';

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Turns effective topic configs (strings) into the storage settings a PartitionLog takes. */
export function logConfigFrom(configs: ReadonlyMap<string, string | null>): LogConfig {
  const num = (name: string, fallback: number): number => {
    const v = configs.get(name);
    if (v === null || v === undefined) return fallback;
    const n = Number(v);
    return Number.isFinite(n) ? Math.min(n, Number.MAX_SAFE_INTEGER) : fallback;
  };
  return {
    // internal.segment.bytes (Kafka 4, for tests) overrides segment.bytes and its 1 MiB minimum.
    segmentBytes: num('internal.segment.bytes', num('segment.bytes', 1073741824)),
    segmentMs: num('segment.ms', 604800000),
    indexIntervalBytes: num('index.interval.bytes', 4096),
    segmentIndexBytes: num('segment.index.bytes', 10485760),
    flushMessages: num('flush.messages', Number.MAX_SAFE_INTEGER),
    flushMs: num('flush.ms', Number.MAX_SAFE_INTEGER),
    messageTimestampType: configs.get('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
  };
}

/** A topic's settings that Produce checks besides sizes: min.insync.replicas and timestamp bounds. */
export interface ProduceRules {
  minInsyncReplicas: number;
  /**
   * message.timestamp.before.max.ms / after.max.ms: how far a CreateTime may lie from now. Longs,
   * as Kafka computes with them (its default before.max.ms is Long.MAX_VALUE).
   */
  timestampBeforeMaxMs: bigint;
  timestampAfterMaxMs: bigint;
  /** message.timestamp.type=LogAppendTime: the broker stamps the batch, producers' times are not checked. */
  logAppendTime: boolean;
  /** compression.type and the KIP-390 levels: the codec the leader stores batches with (recompress.ts). */
  compression: TargetCompression;
}

const LONG_MAX = 9223372036854775807n;
const DEFAULT_PRODUCE_RULES: ProduceRules = { minInsyncReplicas: 1, timestampBeforeMaxMs: LONG_MAX, timestampAfterMaxMs: LONG_MAX, logAppendTime: false, compression: PRODUCER_COMPRESSION };

export class LogManager {
  /** The logs this broker hosts, by topic and partition (a broker of a cluster hosts only its replicas). */
  private readonly logs = new Map<string, Map<number, PartitionLog>>();
  private readonly topicNameById = new Map<string, string>();
  /** max.message.bytes per topic, resolved once when the topic's logs open. */
  private readonly maxMessageBytesByTopic = new Map<string, number>();
  /** segment.bytes per topic (Produce refuses a batch larger than a segment). */
  private readonly segmentBytesByTopic = new Map<string, number>();
  private readonly retentionByTopic = new Map<string, { deletes: boolean; retentionMs: number; retentionBytes: number }>();
  /** Cleaner settings of the topics whose cleanup.policy includes compact (cleaner.ts). */
  private readonly compactionByTopic = new Map<string, CleanerConfig>();
  private readonly produceRulesByTopic = new Map<string, ProduceRules>();
  /** Logs opened by `prepare` for partitions the controller is about to commit, by topic. */
  private readonly pending = new Map<string, Map<number, PartitionLog>>();

  constructor(
    private readonly dataDir: string,
    private readonly io: FileIO,
    private readonly broker: BrokerConfig,
    private readonly log: Logger,
    /** Segment roll by time, LogAppendTime and flush read it (control/clock.ts). */
    private readonly clock: Clock = wallClock,
  ) {}

  /**
   * Opens (recovering where needed) every partition of every topic that `hosts` says this broker
   * holds (all by default); removes leftover deletions.
   */
  openAll(topics: Iterable<{ name: string; topicId: string; partitions: number; configs: ReadonlyMap<string, string>; hosts?: (partition: number) => boolean }>): void {
    for (const entry of this.io.readdir(this.dataDir)) {
      if (entry.endsWith(DELETE_SUFFIX)) {
        this.log.info(`removing ${entry}, left by a topic deletion that did not finish`);
        this.io.removeDir(join(this.dataDir, entry));
      }
    }
    for (const t of topics) {
      const parts = new Map<number, PartitionLog>();
      for (let p = 0; p < t.partitions; p++) {
        if (t.hosts?.(p) ?? true) parts.set(p, this.openPartition(t.name, p, t.configs));
        else this.removeStray(t.name, p, t.topicId);
      }
      this.logs.set(t.name, parts);
      this.topicNameById.set(t.topicId, t.name);
    }
  }

  private openPartition(topic: string, partition: number, configs: ReadonlyMap<string, string>): PartitionLog {
    const dir = join(this.dataDir, partitionDirName(topic, partition));
    const effective = effectiveTopicConfig(this.broker, configs);
    this.rememberSettings(topic, effective);
    return PartitionLog.open(dir, logConfigFrom(effective), this.io, { now: () => this.clock.nowMs() });
  }

  /** The per-topic settings the broker consults outside the partition logs. */
  private rememberSettings(topic: string, effective: ReadonlyMap<string, string | null>): void {
    this.maxMessageBytesByTopic.set(topic, Number(effective.get('max.message.bytes')));
    this.segmentBytesByTopic.set(topic, logConfigFrom(effective).segmentBytes);
    this.produceRulesByTopic.set(topic, {
      minInsyncReplicas: Number(effective.get('min.insync.replicas') ?? 1),
      timestampBeforeMaxMs: BigInt(effective.get('message.timestamp.before.max.ms') ?? LONG_MAX),
      timestampAfterMaxMs: BigInt(effective.get('message.timestamp.after.max.ms') ?? LONG_MAX),
      logAppendTime: effective.get('message.timestamp.type') === 'LogAppendTime',
      compression: targetCompressionFrom(effective),
    });
    const policies = (effective.get('cleanup.policy') ?? 'delete').split(',').map((s) => s.trim());
    this.retentionByTopic.set(topic, {
      deletes: policies.includes('delete'),
      retentionMs: Number(effective.get('retention.ms') ?? -1),
      retentionBytes: Number(effective.get('retention.bytes') ?? -1),
    });
    const compaction = cleanerConfigFrom(effective);
    if (compaction) this.compactionByTopic.set(topic, compaction);
    else this.compactionByTopic.delete(topic);
  }

  /**
   * Applies changed configs (AlterConfigs on the topic or on the broker) to a topic's partitions,
   * live: segment, flush and timestamp settings from the next append, retention from the next
   * retention pass.
   */
  reconfigure(topic: string, overrides: ReadonlyMap<string, string>): void {
    const parts = this.logs.get(topic);
    if (!parts) return;
    const effective = effectiveTopicConfig(this.broker, overrides);
    this.rememberSettings(topic, effective);
    const config = logConfigFrom(effective);
    for (const p of parts.values()) p.updateConfig(config);
  }

  /**
   * Retention pass (log.retention.check.interval.ms): in topics whose cleanup.policy includes
   * delete, removes segments past retention.ms or retention.bytes. Returns segments deleted.
   */
  applyRetention(nowMs: number): number {
    let n = 0;
    for (const [topic, parts] of this.logs) {
      const r = this.retentionByTopic.get(topic);
      if (!r || !r.deletes || (r.retentionMs < 0 && r.retentionBytes < 0)) continue;
      for (const [i, p] of parts.entries()) {
        try {
          const deleted = p.applyRetention(nowMs, r.retentionMs, r.retentionBytes);
          if (deleted > 0) this.log.info(`retention removed ${deleted} segment(s) of ${topic}-${i}; log start offset now ${p.logStartOffset}`);
          n += deleted;
        } catch (err) {
          this.log.error(`retention of ${topic}-${i} failed: ${(err as Error).message}`);
        }
      }
    }
    return n;
  }

  /** The topic's checks of produced batches beyond their bytes (see ProduceRules). */
  produceRules(topic: string): ProduceRules {
    return this.produceRulesByTopic.get(topic) ?? DEFAULT_PRODUCE_RULES;
  }

  maxMessageBytes(topic: string): number {
    return this.maxMessageBytesByTopic.get(topic) ?? 0;
  }

  segmentBytes(topic: string): number {
    return this.segmentBytesByTopic.get(topic) ?? 0;
  }

  /** The name of a topic whose logs are open, by its id. */
  topicNameOf(topicId: string): string | undefined {
    return this.topicNameById.get(topicId);
  }

  /**
   * Opens the logs of the partitions of a topic that the controller is about to commit and this
   * broker hosts, and returns how to remove them again if the commit fails. Throws
   * LogStorageError (having removed what it opened) when one cannot be opened.
   */
  prepare(topic: string, partitions: readonly number[], configs: ReadonlyMap<string, string>): () => void {
    const logs = new Map<number, PartitionLog>();
    for (const p of partitions) {
      try {
        logs.set(p, this.openNewPartition(topic, p, configs));
      } catch (e) {
        this.discard([...logs.values()]);
        if (!isStorageFailure(e)) throw e;
        throw new LogStorageError(`cannot open partition ${partitionDirName(topic, p)}: ${(e as Error).message}`, e);
      }
    }
    this.pending.set(topic, logs);
    return () => {
      if (this.pending.get(topic) !== logs) return;
      this.pending.delete(topic);
      this.discard([...logs.values()]);
    };
  }

  /** openPartition, removing the directory again if it was created for nothing. */
  private openNewPartition(topic: string, partition: number, configs: ReadonlyMap<string, string>): PartitionLog {
    const dir = join(this.dataDir, partitionDirName(topic, partition));
    const existed = this.io.exists(dir);
    try {
      return this.openPartition(topic, partition, configs);
    } catch (e) {
      if (!existed) this.removeUncommitted(dir);
      throw e;
    }
  }

  private removeUncommitted(dir: string): void {
    try {
      this.io.removeDir(dir);
    } catch (e) {
      this.log.error(`could not remove ${dir} of an uncommitted partition: ${(e as Error).message}`);
    }
  }

  /** Closes and removes logs that were never committed. */
  private discard(logs: readonly PartitionLog[]): void {
    for (const plog of logs) {
      plog.abandon();
      this.removeUncommitted(plog.dir);
    }
  }

  /**
   * Creates logs for the partitions of a topic this broker hosts and has none for yet (a new
   * topic, CreatePartitions, a replica moved here), using those `prepare` opened.
   */
  ensurePartitions(topic: string, topicId: string, count: number, configs: ReadonlyMap<string, string>, hosts: (partition: number) => boolean = () => true): void {
    const parts = this.logs.get(topic) ?? new Map<number, PartitionLog>();
    const prepared = this.pending.get(topic);
    this.pending.delete(topic);
    for (let p = 0; p < count; p++) {
      if (parts.has(p) || !hosts(p)) continue;
      parts.set(p, prepared?.get(p) ?? this.openPartition(topic, p, configs));
    }
    this.logs.set(topic, parts);
    this.topicNameById.set(topicId, topic);
  }

  deleteTopicById(topicId: string): void {
    const topic = this.topicNameById.get(topicId);
    if (topic === undefined) return;
    this.topicNameById.delete(topicId);
    this.maxMessageBytesByTopic.delete(topic);
    this.segmentBytesByTopic.delete(topic);
    this.produceRulesByTopic.delete(topic);
    this.retentionByTopic.delete(topic);
    this.compactionByTopic.delete(topic);
    const parts = this.logs.get(topic);
    this.logs.delete(topic);
    if (!parts) return;
    for (const [p, plog] of parts.entries()) {
      try {
        this.deletePartition(plog, topic, p, topicId);
      } catch (e) {
        // The deletion is committed: the other partitions still go. A directory renamed aside is
        // removed at the next start; one that could not even be renamed must be removed by hand.
        this.log.error(`could not remove ${plog.dir} of deleted topic ${topic}: ${(e as Error).message}; remove it before creating the topic again`);
      }
    }
  }

  /**
   * Removes the log of a partition this broker no longer holds a replica of (a reassignment moved
   * it away); the committed metadata already says so, so a failure is only reported.
   */
  deletePartitionLog(topic: string, topicId: string, partition: number): void {
    const parts = this.logs.get(topic);
    const plog = parts?.get(partition);
    if (!parts || !plog) return;
    parts.delete(partition);
    try {
      this.deletePartition(plog, topic, partition, topicId);
      this.log.info(`removed ${plog.dir}: its replica moved to other brokers`);
    } catch (e) {
      this.log.error(`could not remove ${plog.dir} of a replica moved away: ${(e as Error).message}; the next start removes it`);
    }
  }

  /** At start: the directory of a partition that the image places on other brokers only. */
  private removeStray(topic: string, partition: number, topicId: string): void {
    const dir = join(this.dataDir, partitionDirName(topic, partition));
    if (!this.io.exists(dir)) return;
    this.log.info(`removing ${dir}: the metadata places ${topic}-${partition} on other brokers (a replica moved away before this broker stopped)`);
    const doomed = join(this.dataDir, `${partitionDirName(topic, partition)}.${topicId}${DELETE_SUFFIX}`);
    this.io.rename(dir, doomed);
    this.io.removeDir(doomed);
  }

  private deletePartition(plog: PartitionLog, topic: string, partition: number, topicId: string): void {
    plog.abandon();
    const dir = join(this.dataDir, partitionDirName(topic, partition));
    const doomed = join(this.dataDir, `${partitionDirName(topic, partition)}.${topicId}${DELETE_SUFFIX}`);
    this.io.rename(dir, doomed);
    this.io.removeDir(doomed);
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.get(partition);
  }

  /** Time-based flush check, run by the broker's flush timer. */
  maybeFlushAll(nowMs: number): void {
    for (const parts of this.logs.values()) for (const p of parts.values()) p.maybeFlush(nowMs);
  }

  /**
   * Forgets producers idle longer than producer.id.expiration.ms in every partition (those with
   * an open transaction stay). Returns how many were dropped.
   */
  expireProducers(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const parts of this.logs.values()) for (const p of parts.values()) n += p.producers.expire(nowMs, expirationMs);
    return n;
  }

  flushAll(): void {
    for (const parts of this.logs.values()) for (const p of parts.values()) p.flush();
  }

  /**
   * Closes every log, going on past those that fail (their files stay as a crash leaves them;
   * the next start recovers them). Returns the failures, one line each, for the caller to report.
   */
  closeAll(): string[] {
    const failures: string[] = [];
    for (const parts of this.logs.values()) {
      for (const p of parts.values()) {
        try {
          p.close();
        } catch (e) {
          p.abandon();
          failures.push(`${p.dir}: ${(e as Error).message}`);
        }
      }
    }
    this.logs.clear();
    return failures;
  }

  /**
   * One log cleaner pass (log.cleaner.backoff.ms) over every partition of the topics whose
   * cleanup.policy includes compact, __consumer_offsets and __transaction_state among them. A
   * partition that fails is logged and left (an I/O failure takes it offline, as any other).
   */
  cleanAll(nowMs: number): CleanerStats {
    const stats: CleanerStats = { partitionsCleaned: 0, bytesBefore: 0, bytesAfter: 0, recordsRead: 0, recordsKept: 0, durationMs: 0 };
    const t0 = performance.now();
    for (const [topic, parts] of this.logs) {
      const config = this.compactionByTopic.get(topic);
      if (!config) continue;
      for (const [i, p] of parts.entries()) {
        if (p.isOffline) continue;
        try {
          const r = cleanLog(p, config, nowMs);
          if (!r.cleaned) continue;
          stats.partitionsCleaned++;
          stats.bytesBefore += r.bytesBefore;
          stats.bytesAfter += r.bytesAfter;
          stats.recordsRead += r.recordsRead;
          stats.recordsKept += r.recordsKept;
          this.log.info(
            `cleaned ${topic}-${i} up to offset ${r.cleanedUpTo}: ${r.segmentsBefore} segment(s), ${r.bytesBefore} bytes -> ${r.segmentsAfter}, ${r.bytesAfter} bytes; ` +
              `${r.recordsKept} of ${r.recordsRead} records kept in ${r.durationMs.toFixed(0)} ms`,
          );
        } catch (err) {
          this.log.error(`cleaning ${topic}-${i} failed: ${(err as Error).message}`);
        }
      }
    }
    stats.durationMs = performance.now() - t0;
    return stats;
  }

  /** Whether the topic's cleanup.policy includes compact (Produce refuses keyless records there). */
  isCompacted(topic: string): boolean {
    return this.compactionByTopic.has(topic);
  }
}

export interface CleanerStats {
  partitionsCleaned: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRead: number;
  recordsKept: number;
  durationMs: number;
}
