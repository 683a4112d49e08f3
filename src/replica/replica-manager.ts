/**
 * The partitions this broker holds and what requests do to them, in the role of Kafka's
 * ReplicaManager: the append as leader for Produce (every check of a client's batch, then the
 * partition's append), the appends of the coordinators to their internal topics, the reads of
 * Fetch, and the two purgatories (delayed fetch, delayed produce), woken from one place
 * (`partitionChanged`) whenever a partition's log end or high watermark moves.
 *
 * Partition objects follow the partition logs: the metadata publisher (metadata-publisher.ts)
 * opens logs as the controller commits partitions and tells this manager, which wraps each log in
 * a Partition; a deleted topic's partitions are dropped before its logs are removed.
 *
 * Produce, per partition, in the order Kafka checks (validateBatches, LogValidator,
 * ReplicaManager): exactly one record batch of magic 2, not a control batch (INVALID_RECORD), a
 * sane header and CRC-32C (CORRUPT_MESSAGE), at most max.message.bytes (MESSAGE_TOO_LARGE) and at
 * most one segment (RECORD_LIST_TOO_LARGE); no zstd below Produce v7
 * (UNSUPPORTED_COMPRESSION_TYPE); then every record (log/batch-records.ts `checkRecords`, in a
 * worker thread for large compressed batches: log/decompress-pool.ts); the rewrite to the topic's
 * compression.type when the batch has another codec (log/recompress.ts); the transaction check the
 * caller supplies; then the partition's append as leader (producer state and append in one step).
 * Appends to one partition happen in request order even when a record check waits for a worker
 * (PartitionOrder). Errors found in the log carry the log start offset, as Kafka's do.
 *
 * acks=all: answered when the high watermark has passed every appended batch (a delayed produce
 * until then), or with REQUEST_TIMED_OUT for the partitions it has not passed at the request's
 * timeout. With no follower in the ISR the high watermark moves with the append itself.
 */
import { decompressedBytesFor, limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { RecordCheck, RecordError, TimestampBounds } from '../log/batch-records.js';
import type { RecordCheckPool } from '../log/decompress-pool.js';
import type { LogManager, ProduceRules } from '../log/log-manager.js';
import { recompressForAppend } from '../log/recompress.js';
import { FailureKind, LOG_OVERHEAD, validateBatches, type BatchInfo } from '../log/record-batch.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import { LogStorageError, Partition, type IsrChange, type PartitionState } from './partition.js';
import { FetchSessionCache } from './fetch-session.js';
import { partitionKey, Purgatory } from './purgatory.js';
import { wallClock, type Clock } from '../control/clock.js';
import type { ReplicaFetcherManager } from './replica-fetcher.js';

const COMPRESSION_ZSTD = 4;

/** What a Produce gets for one partition (the handler adds the index and the leader). */
export interface ProduceOutcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: RecordError[];
  /** The last offset of the appended (or retried) batch, which acks=all waits for; -1 when none. */
  lastOffset: bigint;
}

export interface ProduceEntry {
  topic: string;
  partition: number;
  records: Buffer | null;
}

export interface AppendRecordsParams {
  /** 0, 1 or -1 (checked by the caller). */
  acks: number;
  /** How long acks=all may wait for the high watermark (the request's timeout_ms). */
  timeoutMs: number;
  /** The Produce version: zstd needs 7+. */
  apiVersion: number;
  entries: readonly ProduceEntry[];
  /**
   * The transaction check of a transactional batch (the transaction coordinator's verification,
   * KIP-890): NONE to go on, else the error to answer. `openHere`: the producer already has a
   * transaction open on this partition at this epoch. A Promise when the coordinator is asked
   * (another broker, or an add to be made durable); the append waits for it, in order.
   */
  verifyTransaction(info: BatchInfo, topic: string, partition: number, openHere: boolean): number | Promise<number>;
}

type Outcome = ProduceOutcome | Promise<ProduceOutcome>;

function failed(errorCode: number, errorMessage: string | null, logStartOffset = -1n): ProduceOutcome {
  return { errorCode, errorMessage, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset, recordErrors: [], lastOffset: -1n };
}

/** validateBatches failures Kafka finds in the log (LogValidator), not before it. */
const IN_LOG_FAILURES: ReadonlySet<number> = new Set([
  FailureKind.baseOffset,
  FailureKind.badDelta,
  FailureKind.badCount,
  FailureKind.inconsistent,
  FailureKind.control,
  FailureKind.noSequence,
  FailureKind.logAppendTime,
]);
const RECORD_FAULT_MIN = FailureKind.recordTruncated;

/** Kafka's smallest batch size field (LegacyRecord.RECORD_OVERHEAD_V0); below it a batch is corrupt. */
const MIN_RECORD_OVERHEAD = 14;

/**
 * True when the payload holds no whole batch: Kafka counts the whole batches first
 * (ProduceRequest.validateRecords) and answers INVALID_RECORD for none, before any CRC check.
 */
function noWholeBatch(records: Buffer): boolean {
  if (records.length < LOG_OVERHEAD) return true;
  const batchLength = records.readInt32BE(8);
  return batchLength >= MIN_RECORD_OVERHEAD && LOG_OVERHEAD + batchLength > records.length;
}

/**
 * Kafka's timestamp bounds for CreateTime topics (message.timestamp.before.max.ms and
 * after.max.ms, KIP-937), checked on every record by the record check (batch-records.ts); null
 * for LogAppendTime topics, whose producers' times are replaced.
 */
function timestampBounds(rules: ProduceRules, nowMs: number): TimestampBounds | null {
  if (rules.logAppendTime) return null;
  return { nowMs: BigInt(nowMs), beforeMaxMs: rules.timestampBeforeMaxMs, afterMaxMs: rules.timestampAfterMaxMs };
}

/**
 * Appends to each partition in the order the requests arrived, even when one of them waits for a
 * decompression worker: an idempotent producer pipelines up to five requests, and a later small
 * batch must not overtake an earlier large one (its sequence would be out of order). A partition
 * with nothing pending runs its work at once; otherwise the work waits for the previous one.
 * Bounded by the requests in flight (limits.inFlightRequestsPerConnection per connection).
 */
class PartitionOrder {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Outcome): Outcome {
    const tail = this.tails.get(key);
    const answer = tail === undefined ? work() : tail.then(work);
    if (answer instanceof Promise) this.track(key, answer);
    return answer;
  }

  private track(key: string, answer: Promise<unknown>): void {
    const settled = answer.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
  }
}

export class ReplicaManager {
  /** The partitions this broker holds a replica of, by topic and index. */
  private readonly partitions = new Map<string, Map<number, Partition>>();
  private readonly order = new PartitionOrder();
  /** Fetches waiting for min_bytes (limits.fetchWaitersMax). */
  readonly delayedFetch: Purgatory;
  /** acks=all produces waiting for the high watermark. */
  readonly delayedProduce: Purgatory;
  /** Consumers' and followers' fetch sessions (KIP-227; replica/fetch-session.ts). */
  readonly fetchSessions: FetchSessionCache;

  constructor(
    readonly nodeId: number,
    private readonly logs: LogManager,
    private readonly recordChecks: RecordCheckPool,
    private readonly log: Logger,
    /** Fetch max wait, delayed produce and produce timestamp checks read it (control/clock.ts). */
    readonly clock: Clock = wallClock,
    /** max.incremental.fetch.session.cache.slots (Kafka's default 1000). */
    options: { fetchSessionCacheSlots?: number } = {},
  ) {
    this.fetchSessions = new FetchSessionCache(options.fetchSessionCacheSlots ?? 1000);
    this.delayedFetch = new Purgatory('fetch', limits.fetchWaitersMax, clock);
    this.delayedProduce = new Purgatory('produce', limits.delayedProducesMax, clock);
  }

  // -- the partitions -----------------------------------------------------------------------------

  /** Whether the committed metadata names this partition (set by the broker from its image). */
  metadataHas: (topic: string, partition: number) => boolean = () => false;

  /**
   * The error for a partition this broker holds no replica of: NOT_LEADER_OR_FOLLOWER when the
   * cluster has it (another broker serves it; the client refreshes its metadata), else
   * UNKNOWN_TOPIC_OR_PARTITION, as Kafka's ReplicaManager answers.
   */
  notHostedError(topic: string, partition: number): number {
    return this.metadataHas(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(topic)?.get(partition);
  }

  /** Every partition this broker holds a replica of (GET /partitions, /metrics). */
  *allPartitions(): IterableIterator<Partition> {
    for (const parts of this.partitions.values()) yield* parts.values();
  }

  /**
   * Wraps the logs of a topic's partitions that have none yet (the publisher opened those this
   * broker holds a replica of) and gives each its committed state (leader, epochs, replicas,
   * ISR), starting or stopping its replica fetching; `only` the partitions a metadata batch
   * changed, when given.
   */
  syncTopic(topic: string, states: readonly PartitionState[], only?: readonly number[]): void {
    const parts = this.partitions.get(topic) ?? new Map<number, Partition>();
    this.partitions.set(topic, parts);
    const indexes = only ?? states.keys();
    for (const i of indexes) {
      const state = states[i];
      if (!state) continue;
      let p = parts.get(i);
      let led = false;
      let epoch = -1;
      if (!p) {
        const plog = this.logs.get(topic, i);
        if (!plog) continue; // not a replica here
        parts.set(i, (p = new Partition(topic, i, plog, this.nodeId)));
      } else {
        led = p.isLeader;
        epoch = p.leaderEpoch;
      }
      const hwMoved = p.applyState(state);
      // A leadership gained (or taken again in a new epoch) or lost: the coordinators load or
      // unload, and what waits on the partition (acks=all, a coordinator's write) re-checks.
      const leadershipChanged = p.isLeader !== led || (p.isLeader && p.leaderEpoch !== epoch);
      if (hwMoved || leadershipChanged) this.partitionChanged(topic, i);
      if (leadershipChanged) for (const l of this.leadershipListeners) l(topic, i, p.isLeader);
      const follows = state.leader >= 0 && state.leader !== this.nodeId && state.replicas.includes(this.nodeId);
      this.fetchers?.follow(topic, i, follows ? state.leader : null);
    }
  }

  private readonly leadershipListeners: Array<(topic: string, partition: number, leader: boolean) => void> = [];

  /** Calls `listener` when this broker becomes the leader of a partition (again) or stops being it. */
  onLeadershipChange(listener: (topic: string, partition: number, leader: boolean) => void): void {
    this.leadershipListeners.push(listener);
  }

  /** The follower's fetchers (set when this broker is part of a cluster; one node has none). */
  fetchers: ReplicaFetcherManager | null = null;

  /**
   * Forgets a partition whose replica moved to other brokers (before its log goes); `syncTopic`
   * has already given it the state that makes it neither leader nor follower. Waiters on it wake
   * and find it gone.
   */
  removePartition(topic: string, partition: number): void {
    const parts = this.partitions.get(topic);
    if (!parts?.delete(partition)) return;
    this.fetchers?.follow(topic, partition, null);
    this.partitionChanged(topic, partition);
  }

  /** Forgets a deleted topic's partitions (before its logs go). */
  removeTopic(topic: string): void {
    const indexes = [...(this.partitions.get(topic)?.keys() ?? [])];
    for (const i of indexes) this.fetchers?.follow(topic, i, null);
    this.partitions.delete(topic);
    for (const i of indexes) this.partitionChanged(topic, i);
  }

  /**
   * The one place that wakes what waits on a partition: a fetch for new data, a produce with
   * acks=all for the high watermark. Called after every append and high-watermark move.
   */
  partitionChanged(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    this.delayedFetch.checkAndComplete(key);
    this.delayedProduce.checkAndComplete(key);
  }

  /**
   * Where ISR changes go (AlterPartition to the controller); the reply comes back as committed
   * partition state through syncTopic, or as `isrChangeFailed`. Until the broker has a
   * controller channel, changes are dropped (one node never has followers).
   */
  onIsrChange: (change: IsrChange) => void = () => {};

  /**
   * A follower fetched `fetchOffset` of a partition this broker leads (its log end offset):
   * wakes waiters when the high watermark moves, and asks for the follower's return to the ISR
   * when it has caught up.
   */
  followerFetched(topic: string, partition: number, replicaId: number, fetchOffset: bigint, followerLogStartOffset: bigint, nowMs = Date.now()): void {
    const p = this.getPartition(topic, partition);
    if (!p) return;
    const out = p.updateFollowerFetchState(replicaId, fetchOffset, followerLogStartOffset, nowMs);
    if (out.hwMoved) this.partitionChanged(topic, partition);
    if (out.isrChange) this.onIsrChange(out.isrChange);
  }

  /** The ISR check Kafka runs every replica.lag.time.max.ms / 2: followers out of sync are proposed for removal. */
  maybeShrinkIsrs(nowMs: number, lagMaxMs: number): void {
    for (const parts of this.partitions.values()) {
      for (const p of parts.values()) {
        const change = p.maybeShrinkIsr(nowMs, lagMaxMs);
        if (change) this.onIsrChange(change);
      }
    }
  }

  /** The leader's batches appended by this follower (the replica fetcher); wakes what waits on the partition. */
  appendAsFollower(topic: string, partition: number, batches: Buffer, infos: readonly BatchInfo[], leaderHighWatermark: bigint): void {
    const p = this.getPartition(topic, partition);
    if (!p) return;
    p.appendAsFollower(batches, infos, leaderHighWatermark);
    this.partitionChanged(topic, partition);
  }

  /** The controller refused an ISR change: the partition may ask again. */
  isrChangeFailed(topic: string, partition: number): void {
    this.getPartition(topic, partition)?.isrChangeFailed();
  }

  // -- produce ------------------------------------------------------------------------------------

  /**
   * Appends a Produce request's batches, one outcome per entry in its order; a Promise when a
   * record check runs in a worker or acks=all waits for the high watermark.
   */
  appendRecords(params: AppendRecordsParams): ProduceOutcome[] | Promise<ProduceOutcome[]> {
    let waiting = false;
    const outcomes = params.entries.map((e) => {
      const out = this.order.run(partitionKey(e.topic, e.partition), () => this.validateAndAppend(e, params));
      if (out instanceof Promise) waiting = true;
      return out;
    });
    const acked = (done: ProduceOutcome[]): ProduceOutcome[] | Promise<ProduceOutcome[]> => (params.acks === -1 ? this.awaitHighWatermark(params, done) : done);
    if (!waiting) return acked(outcomes as ProduceOutcome[]);
    return Promise.all(outcomes).then(acked);
  }

  /** Header checks, then the record checks (perhaps in a worker), then the append. */
  private validateAndAppend(e: ProduceEntry, params: AppendRecordsParams): Outcome {
    const { topic, partition, records } = e;
    const p = this.getPartition(topic, partition);
    if (!p) return failed(this.notHostedError(topic, partition), `This server does not host this topic-partition.`);
    if (INTERNAL_TOPICS.has(topic)) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
    if (!p.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker does not lead ${topic}-${partition}; refresh the metadata.`);
    if (records === null || noWholeBatch(records)) {
      return failed(ErrorCode.INVALID_RECORD, 'Produce requests must carry exactly one record batch per partition.');
    }
    const maxMessageBytes = this.logs.maxMessageBytes(topic);
    const checked = validateBatches(records, { maxBatchBytes: maxMessageBytes, segmentBytes: this.logs.segmentBytes(topic) });
    if (!checked.ok) {
      const inLog = checked.kind !== undefined && (IN_LOG_FAILURES.has(checked.kind) || checked.kind >= RECORD_FAULT_MIN);
      return failed(checked.errorCode, checked.message, inLog ? p.logStartOffset : -1n);
    }
    const info = checked.batches[0]!;
    if (info.compression === COMPRESSION_ZSTD && params.apiVersion < 7) {
      return failed(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with version below 7 cannot carry zstd-compressed batches.');
    }
    const opts = {
      compacted: this.logs.isCompacted(topic),
      decompressedBytesMax: decompressedBytesFor(maxMessageBytes),
      topicPartition: `${topic}-${partition}`,
      timestampBounds: timestampBounds(this.logs.produceRules(topic), this.clock.nowMs()),
    };
    const check = this.recordChecks.check(records, info, opts);
    const append = (c: RecordCheck): Outcome => {
      if (!c.ok) return recordsRefused(c, p.logStartOffset);
      // compression.type other than producer: the batch as the topic stores it (log/recompress.ts).
      const limits = { maxBatchBytes: maxMessageBytes, segmentBytes: this.logs.segmentBytes(topic), decompressedBytesMax: opts.decompressedBytesMax, topicPartition: opts.topicPartition };
      const stored = recompressForAppend(records, info, this.logs.produceRules(topic).compression, limits);
      if (stored === null) return this.appendChecked(e, records, checked.batches, params);
      // Too large once recompressed: without the log start offset, as Kafka answers it.
      return stored.ok ? this.appendChecked(e, stored.records, stored.batches, params) : failed(stored.errorCode, stored.message);
    };
    return check instanceof Promise ? check.then(append) : append(check);
  }

  /** The append of a batch whose every check passed; the partition is looked up again (a worker may have run). */
  private appendChecked(e: ProduceEntry, records: Buffer, batches: BatchInfo[], params: AppendRecordsParams): Outcome {
    const p = this.getPartition(e.topic, e.partition);
    if (!p) return failed(this.notHostedError(e.topic, e.partition), `This server does not host this topic-partition.`);
    // Leadership may have moved while a worker checked the records.
    if (!p.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker no longer leads ${e.topic}-${e.partition}; refresh the metadata.`);
    const info = batches[0]!;
    if (info.isTransactional) {
      const code = params.verifyTransaction(info, e.topic, e.partition, p.hasOpenTransaction(info.producerId, info.producerEpoch));
      const refused = (c: number): ProduceOutcome =>
        failed(c, c === ErrorCode.NOT_ENOUGH_REPLICAS ? 'Unable to verify the partition has been added to the transaction; retry.' : 'This partition is not part of an ongoing transaction of this producer.');
      // The coordinator was asked: leadership may have moved meanwhile, so everything is checked again.
      if (code instanceof Promise) return code.then((c) => (c !== ErrorCode.NONE ? refused(c) : this.appendVerified(e, records, batches, params)));
      if (code !== ErrorCode.NONE) return refused(code);
    }
    return this.appendVerified(e, records, batches, params);
  }

  /** The append itself, once the transaction check (if any) passed. */
  private appendVerified(e: ProduceEntry, records: Buffer, batches: BatchInfo[], params: AppendRecordsParams): ProduceOutcome {
    const p = this.getPartition(e.topic, e.partition);
    if (!p) return failed(this.notHostedError(e.topic, e.partition), `This server does not host this topic-partition.`);
    if (!p.isLeader) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker no longer leads ${e.topic}-${e.partition}; refresh the metadata.`);
    // Not enough in-sync replicas for acks=all: refused before anything is written (Kafka's
    // appendRecordsToLeader); the committed ISR counts, not a pending expansion.
    if (params.acks === -1 && p.isr.length < p.effectiveMinIsr(this.logs.produceRules(e.topic).minInsyncReplicas)) {
      return failed(ErrorCode.NOT_ENOUGH_REPLICAS, `The ISR ${JSON.stringify(p.isr)} of ${e.topic}-${e.partition} is smaller than min.insync.replicas; the write was not attempted.`, p.logStartOffset);
    }
    try {
      const out = p.appendRecordsAsLeader(records, batches);
      if (out.kind === 'error') return failed(out.errorCode, out.message, p.logStartOffset);
      if (out.kind === 'duplicate') return { ...failed(ErrorCode.NONE, null, p.logStartOffset), baseOffset: out.firstOffset, lastOffset: out.lastOffset };
      this.partitionChanged(e.topic, e.partition);
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        baseOffset: out.baseOffset,
        logAppendTimeMs: BigInt(out.logAppendTimeMs),
        logStartOffset: out.logStartOffset,
        recordErrors: [],
        lastOffset: out.lastOffset,
      };
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      this.log.error(`partition ${e.topic}-${e.partition} is offline: ${err.message}`);
      return failed(ErrorCode.KAFKA_STORAGE_ERROR, 'The broker could not write this partition; see its log.');
    }
  }

  /**
   * acks=all: the outcomes once the high watermark of every appended partition has passed its
   * batch; at the request's timeout, REQUEST_TIMED_OUT for those it has not passed (Kafka's
   * DelayedProduce). A duplicate's original batch is below the high watermark already.
   */
  private awaitHighWatermark(params: AppendRecordsParams, outcomes: ProduceOutcome[]): ProduceOutcome[] | Promise<ProduceOutcome[]> {
    const pending = (): number[] => {
      const idx: number[] = [];
      outcomes.forEach((o, i) => {
        if (o.errorCode !== ErrorCode.NONE || o.lastOffset < 0n) return;
        const e = params.entries[i]!;
        const p = this.getPartition(e.topic, e.partition);
        if (p && p.isLeader && p.highWatermark <= o.lastOffset) idx.push(i);
      });
      return idx;
    };
    // Kafka's checkEnoughReplicasReachOffset: leadership lost while waiting (the batch may be
    // truncated by the new leader: the client retries there); passed by the high watermark, but
    // the ISR shrank below min.insync.replicas meanwhile.
    const settled = (): ProduceOutcome[] =>
      outcomes.map((o, i) => {
        if (o.errorCode !== ErrorCode.NONE || o.lastOffset < 0n) return o;
        const e = params.entries[i]!;
        const p = this.getPartition(e.topic, e.partition);
        if (!p || !p.isLeader) return p && p.highWatermark > o.lastOffset ? o : failed(this.notLedError(e.topic, e.partition), `This broker no longer leads ${e.topic}-${e.partition}; refresh the metadata.`);
        if (p.maximalIsr.length >= p.effectiveMinIsr(this.logs.produceRules(e.topic).minInsyncReplicas)) return o;
        return failed(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `The ISR of ${e.topic}-${e.partition} shrank below min.insync.replicas after the append.`, p.logStartOffset);
      });
    if (pending().length === 0) return settled();
    const keys = params.entries.map((e) => partitionKey(e.topic, e.partition));
    return new Promise((resolve) => {
      const timedOut = (): ProduceOutcome[] => {
        const late = new Set(pending());
        return settled().map((o, i) => (late.has(i) ? failed(ErrorCode.REQUEST_TIMED_OUT, 'The high watermark did not pass the batch within the request timeout.') : o));
      };
      const watch = this.delayedProduce.watch(keys, params.timeoutMs, {
        tryComplete: () => {
          if (pending().length > 0) return false;
          resolve(settled());
          return true;
        },
        onExpiration: () => resolve(timedOut()),
      });
      if (watch === null) resolve(timedOut());
    });
  }

  /** NOT_LEADER_OR_FOLLOWER while the cluster has the partition, else UNKNOWN_TOPIC_OR_PARTITION. */
  private notLedError(topic: string, partition: number): number {
    return this.getPartition(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : this.notHostedError(topic, partition);
  }

  /**
   * Waits until the high watermark of a partition this broker leads has passed `offset` (the
   * acks=all of a coordinator's write or a transaction marker): null when it has already, else
   * the outcome — NONE, NOT_LEADER_OR_FOLLOWER when leadership moved first (the write may be
   * truncated), UNKNOWN_TOPIC_OR_PARTITION when the partition went, REQUEST_TIMED_OUT after
   * `timeoutMs` (or at once when too many wait).
   */
  whenReplicated(topic: string, partition: number, offset: bigint, timeoutMs: number): Promise<number> | null {
    const state = (): number | null => {
      const p = this.getPartition(topic, partition);
      if (!p) return this.notHostedError(topic, partition) === ErrorCode.NOT_LEADER_OR_FOLLOWER ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (p.highWatermark > offset) return ErrorCode.NONE;
      return p.isLeader ? null : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    };
    const now = state();
    if (now === ErrorCode.NONE) return null;
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const watch = this.delayedProduce.watch([partitionKey(topic, partition)], timeoutMs, {
        tryComplete: () => {
          const s = state();
          if (s === null) return false;
          resolve(s);
          return true;
        },
        onExpiration: () => {
          this.log.debug(`${topic}-${partition}: offset ${offset} not replicated within ${timeoutMs} ms: ${this.getPartition(topic, partition)?.describeReplication() ?? 'gone'}`);
          resolve(ErrorCode.REQUEST_TIMED_OUT);
        },
      });
      if (watch === null) resolve(ErrorCode.REQUEST_TIMED_OUT);
    });
  }

  // -- coordinators and the transaction coordinator -------------------------------------------------

  /** A coordinator's batch (validated by the caller) appended to its internal topic's partition. */
  appendAsCoordinator(topic: string, partition: number, batch: Buffer, infos: readonly BatchInfo[]): void {
    const p = this.getPartition(topic, partition);
    if (!p) throw new Error(`${topic}-${partition} has no log`);
    p.appendAsCoordinator(batch, infos);
    this.partitionChanged(topic, partition);
  }

  /**
   * Writes a transaction marker to a partition this broker leads (Kafka's append with origin
   * COORDINATOR): the marker's offset, or the error — UNKNOWN_TOPIC_OR_PARTITION for a partition
   * gone (its topic was deleted), NOT_LEADER_OR_FOLLOWER, TRANSACTION_COORDINATOR_FENCED for a
   * marker from a coordinator older than the one that last ended this producer's transaction here.
   */
  appendMarker(topic: string, partition: number, producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number): { offset: bigint } | { errorCode: number } {
    const p = this.getPartition(topic, partition);
    if (!p) return { errorCode: this.notHostedError(topic, partition) };
    if (!p.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (coordinatorEpoch < p.producerCoordinatorEpoch(producerId)) return { errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED };
    try {
      const out = p.appendMarker(producerId, producerEpoch, commit, coordinatorEpoch);
      this.partitionChanged(topic, partition);
      return { offset: out.lastOffset };
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      this.log.error(`partition ${topic}-${partition} is offline: ${err.message}`);
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }
}

function recordsRefused(c: RecordCheck & { ok: false }, logStartOffset: bigint): ProduceOutcome {
  // MESSAGE_TOO_LARGE (decompressed size) is answered without the log start offset, as in Kafka.
  const out = c.errorCode === ErrorCode.MESSAGE_TOO_LARGE ? failed(c.errorCode, c.message) : failed(c.errorCode, c.message, logStartOffset);
  return { ...out, recordErrors: c.recordErrors };
}
