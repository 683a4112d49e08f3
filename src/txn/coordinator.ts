/**
 * The transaction coordinator (KIP-98), with transactions v2 (KIP-890 part 2).
 *
 * Per transactional id it keeps the producer id and epoch, the transaction timeout, the state
 *   Empty -> Ongoing (AddPartitionsToTxn/AddOffsetsToTxn) -> PrepareCommit|PrepareAbort (EndTxn)
 *   -> CompleteCommit|CompleteAbort (markers written) -> Ongoing again with the next transaction,
 * and the partitions of the current transaction. Every change is a record in
 * `__transaction_state` (records.ts), appended before it takes effect and replayed at start; a
 * transaction found in a Prepare state at start has its markers (re)written and completes.
 *
 * - InitProducerId hands out a producer id for a new transactional id, or bumps the epoch of an
 *   existing one, which fences the previous producer; an Ongoing transaction is aborted first
 *   (with the bumped epoch) and the caller gets CONCURRENT_TRANSACTIONS, to retry (Kafka's
 *   PrepareEpochFence). With a producer id and epoch given (KIP-360, v3+) they must match.
 * - EndTxn writes a commit or abort marker to every partition of the transaction (and so to the
 *   group's __consumer_offsets partition for offsets sent with the transaction), then answers. A
 *   retried EndTxn for a transaction already completed the same way succeeds.
 * - Transactions open longer than their timeout are aborted with a bumped epoch, so the late
 *   producer is fenced (transaction.timeout.ms, checked every
 *   transaction.abort.timed.out.transaction.cleanup.interval.ms).
 * - Transactional ids idle (Empty or Complete*) longer than transactional.id.expiration.ms are
 *   removed (a tombstone).
 *
 * Every change is answered once it is durable: on every in-sync replica of its
 * `__transaction_state` partition (at once on a single broker). EndTxn answers once its Prepare
 * record is durable, as Kafka does; the markers then go to the leaders of the transaction's
 * partitions (MarkerWriter: a local append, or WriteTxnMarkers to another broker, retried until
 * written), and the Complete record follows when every marker is durable. Until then the
 * transaction is in its Prepare state and the producer's next calls get CONCURRENT_TRANSACTIONS.
 * A coordinator that loses its partition stops there; the new leader finds the Prepare record and
 * writes the markers again.
 *
 * Transactions v2 (KIP-890 part 2, transaction.version=2, EndTxn v5): every EndTxn bumps the
 * producer epoch as it enters its Prepare state, the markers carry the bumped epoch, and the
 * answer hands the producer its new id and epoch; late data of the ended transaction then has a
 * stale epoch. When the epoch runs out (32766, Kafka's isEpochExhausted) a new producer id is
 * taken at the Prepare (NextProducerId) and becomes current with epoch 0 at the Complete record.
 * A retried EndTxn v5 is recognised by its epoch being one below the stored one (Kafka's
 * endTxnEpochBumped) and gets the same answer. Partitions join a v2 transaction implicitly: the
 * leader of a partition that a Produce v12 (or TxnOffsetCommit v5) writes to asks the
 * coordinator to add it (`addPartitions` with transaction version 2, from AddPartitionsToTxn v5
 * `VerifyOnly=false` in a cluster). Below v12 the leader only verifies (`verifyPartitions`,
 * AddPartitionsToTxn v4+ `VerifyOnly=true`, KIP-890 part 1).
 */
import type { Logger } from '../logger.js';
import { wallClock, type Clock, type TimerHandle } from '../control/clock.js';
import { LogStorageError } from '../replica/partition.js';
import { coordinatorWriteError, type CoordinatorStore } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ProducerIdManager } from './producer-ids.js';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, type TxnState } from './records.js';


/** Epochs are int16; at the last usable one the coordinator moves to a new producer id. */
export const EPOCH_EXHAUSTED = 32766;

export interface TxnSettings {
  maxTimeoutMs: number;
  abortCheckIntervalMs: number;
  idExpirationMs: number;
  idExpirationCheckIntervalMs: number;
  /** How long a client's call waits for its write to become durable before answering COORDINATOR_NOT_AVAILABLE. */
  writeTimeoutMs: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The markers that end one transaction. */
export interface MarkerJob {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  /** The leader epoch of the coordinator's `__transaction_state` partition. */
  coordinatorEpoch: number;
  partitions: TopicPartition[];
  /** False once this coordinator no longer owns the transaction: the writer stops retrying. */
  current(): boolean;
}

/**
 * Writes a transaction's markers (the broker: local partitions directly, others with
 * WriteTxnMarkers to their leaders, retried until written or no longer current). Null when every
 * marker is durable already; else settles when they are (or the job stopped being current). A
 * partition whose topic was deleted is skipped.
 */
export type MarkerWriter = (job: MarkerJob) => Promise<void> | null;

interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** The epoch before the last bump, so a retried InitProducerId gets the same answer. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, TopicPartition>;
  startMs: number;
  lastUpdateMs: number;
  /** The transaction version of the client's last EndTxn (2: the epoch is bumped per transaction). */
  clientTransactionVersion: number;
  /** The producer id a v2 transaction whose epoch ran out moves to at its Complete record; -1 if none. */
  nextProducerId: bigint;
  /** The producer id before that move, so a retried EndTxn of the old id is recognised; -1 if none. */
  previousProducerId: bigint;
}

/** EndTxn's answer: v5 carries the producer id and epoch to use next (KIP-890 part 2). */
export interface EndResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface InitResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnDescription {
  transactionalId: string;
  errorCode: number;
  state: string;
  timeoutMs: number;
  startMs: number;
  producerId: bigint;
  producerEpoch: number;
  partitions: TopicPartition[];
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}\0${tp.partition}`;

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** The same transactions by current producer id, for the produce-path check. */
  private readonly byProducerId = new Map<bigint, TxnMetadata>();
  private readonly timers: TimerHandle[] = [];

  constructor(
    private readonly store: CoordinatorStore,
    private readonly producerIds: ProducerIdManager,
    private readonly writeMarkers: MarkerWriter,
    readonly settings: TxnSettings,
    private readonly log: Logger,
    private readonly clock: Clock = wallClock,
  ) {}

  private now(): number {
    return this.clock.nowMs();
  }

  // ---------------------------------------------------------------------------------------
  // Loading and persistence

  load(): void {
    this.replayPartition();
    // A crash between the Prepare record and the markers: finish the job now.
    for (const t of this.txns.values()) {
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') this.completeTxn(t, t.state === 'PrepareCommit');
    }
    if (this.txns.size > 0) this.log.info(`loaded ${this.txns.size} transactional id(s) from __transaction_state`);
    this.every(this.settings.abortCheckIntervalMs, () => this.abortTimedOut());
    this.every(this.settings.idExpirationCheckIntervalMs, () => this.expireIds());
  }

  /** Replays `__transaction_state` (one partition of it, when given) into the transactions. */
  private replayPartition(partition?: number): void {
    this.store.replay(
      (key, value) => {
        const id = decodeTxnKey(key);
        if (value === null) {
          const gone = this.txns.get(id);
          if (gone) this.byProducerId.delete(gone.producerId);
          this.txns.delete(id);
          return;
        }
        const v = decodeTxnValue(value);
        const partitions = new Map<string, TopicPartition>();
        for (const t of v.partitions) for (const p of t.partitions) partitions.set(tpKey({ topic: t.topic, partition: p }), { topic: t.topic, partition: p });
        const old = this.txns.get(id);
        if (old) this.byProducerId.delete(old.producerId);
        this.txns.set(id, {
          transactionalId: id,
          producerId: v.producerId,
          producerEpoch: v.producerEpoch,
          // Not in the record (as in Kafka): a retry of a KIP-360 call across a restart is fenced.
          lastProducerEpoch: -1,
          timeoutMs: v.timeoutMs,
          state: v.state,
          partitions,
          startMs: Number(v.startMs),
          lastUpdateMs: Number(v.lastUpdateMs),
          clientTransactionVersion: v.clientTransactionVersion ?? 0,
          nextProducerId: v.nextProducerId ?? -1n,
          previousProducerId: v.previousProducerId ?? -1n,
        });
        this.byProducerId.set(v.producerId, this.txns.get(id)!);
      },
      undefined,
      partition,
    );
  }

  /**
   * This broker now leads `partition` of `__transaction_state` (Kafka's onElection): the
   * transactional ids it holds are loaded from the replicated log, and a transaction left between
   * its Prepare record and its markers is finished.
   */
  onElection(partition: number): void {
    this.onResignation(partition);
    this.replayPartition(partition);
    for (const t of this.txns.values()) {
      if (this.store.partitionFor(t.transactionalId) !== partition) continue;
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') this.completeTxn(t, t.state === 'PrepareCommit');
    }
  }

  /** Another broker leads `partition` now (Kafka's onResignation): its transactional ids are forgotten here. */
  onResignation(partition: number): void {
    for (const t of [...this.txns.values()]) {
      if (this.store.partitionFor(t.transactionalId) !== partition) continue;
      this.txns.delete(t.transactionalId);
      this.byProducerId.delete(t.producerId);
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = this.clock.setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Set by close(): markers still being written stop there (the broker is stopping). */
  private closed = false;

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
  }

  /** Appends the transaction's current state; false when the log refused it (nothing applied). */
  private persist(t: TxnMetadata): boolean {
    const byTopic = new Map<string, number[]>();
    for (const tp of t.partitions.values()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    try {
      this.store.append(t.transactionalId, [
        {
          key: encodeTxnKey(t.transactionalId),
          value: encodeTxnValue({
            producerId: t.producerId,
            producerEpoch: t.producerEpoch,
            timeoutMs: t.timeoutMs,
            state: t.state,
            partitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
            lastUpdateMs: BigInt(t.lastUpdateMs),
            startMs: BigInt(t.startMs),
            clientTransactionVersion: t.clientTransactionVersion,
            nextProducerId: t.nextProducerId,
            previousProducerId: t.previousProducerId,
          }),
        },
      ]);
      return true;
    } catch (err) {
      if (!(err instanceof LogStorageError)) throw err;
      this.log.error(`cannot write transaction ${t.transactionalId} to __transaction_state: ${err.message}`);
      return false;
    }
  }

  /** Applies `change` to a copy, persists it, and only then makes it current. */
  private transition(t: TxnMetadata, change: (next: TxnMetadata) => void): boolean {
    const next: TxnMetadata = { ...t, partitions: new Map(t.partitions) };
    change(next);
    next.lastUpdateMs = this.now();
    if (!this.persist(next)) return false;
    if (next.producerId !== t.producerId) this.byProducerId.delete(t.producerId);
    Object.assign(t, next);
    if (this.txns.get(t.transactionalId) === t) this.byProducerId.set(t.producerId, t);
    return true;
  }

  /** Whether `t` is still this coordinator's (not replaced, its partition still led here). */
  private owns(t: TxnMetadata): boolean {
    return !this.closed && this.txns.get(t.transactionalId) === t && this.store.leads(t.transactionalId);
  }

  /** Writes the markers of a transaction in a Prepare state, then records its completion. */
  private completeTxn(t: TxnMetadata, commit: boolean): void {
    const prepared = t.state;
    const producerEpoch = t.producerEpoch;
    const written = this.writeMarkers({
      producerId: t.producerId,
      producerEpoch,
      commit,
      coordinatorEpoch: this.store.epochFor(t.transactionalId),
      partitions: [...t.partitions.values()],
      current: () => this.owns(t) && t.state === prepared && t.producerEpoch === producerEpoch,
    });
    const complete = (): void => {
      if (!this.owns(t) || t.state !== prepared) return;
      this.transition(t, (n) => {
        n.state = commit ? 'CompleteCommit' : 'CompleteAbort';
        n.partitions.clear();
        if (n.nextProducerId >= 0n) {
          // v2: the epoch ran out at this transaction; its markers carried the old id, the producer moves on now.
          n.previousProducerId = n.producerId;
          n.producerId = n.nextProducerId;
          n.producerEpoch = 0;
          n.nextProducerId = -1n;
        }
        // The start time stays: Kafka describes a completed transaction with its start time.
      });
    };
    if (written === null) complete();
    else void written.then(complete, (e: unknown) => this.log.error(`transaction ${t.transactionalId}: writing its markers failed: ${(e as Error).message}`));
  }

  /**
   * Enters the Prepare state and, once that is durable, writes the markers. NONE when the
   * Prepare record is durable (the markers follow); if it is not durable in time the markers
   * still follow once it is, while this broker leads the partition.
   */
  private endOngoing(t: TxnMetadata, commit: boolean, prepare?: (n: TxnMetadata) => void): number | Promise<number> {
    const ok = this.transition(t, (n) => {
      n.state = commit ? 'PrepareCommit' : 'PrepareAbort';
      prepare?.(n);
    });
    if (!ok) return ErrorCode.NOT_COORDINATOR;
    const prepared = t.state;
    const afterDurable = (): number | Promise<number> => {
      const durable = this.store.durable(t.transactionalId, this.settings.writeTimeoutMs);
      if (durable === null) {
        this.completeTxn(t, commit);
        return ErrorCode.NONE;
      }
      return durable.then((code) => {
        if (!this.owns(t) || t.state !== prepared) return ErrorCode.NOT_COORDINATOR;
        if (code === ErrorCode.NONE) {
          this.completeTxn(t, commit);
          return ErrorCode.NONE;
        }
        // Still the leader, not yet replicated: keep waiting (the ISR shrinks if a follower is stuck).
        if (code === ErrorCode.REQUEST_TIMED_OUT) void afterDurable();
        return coordinatorWriteError(code);
      });
    };
    return afterDurable();
  }

  /** `value` once this transaction's last write is durable; the mapped error if it is not. */
  private whenDurable<T>(transactionalId: string, value: T, failed: (code: number) => T): T | Promise<T> {
    const durable = this.store.durable(transactionalId, this.settings.writeTimeoutMs);
    if (durable === null) return value;
    return durable.then((code) => (code === ErrorCode.NONE ? value : failed(coordinatorWriteError(code))));
  }

  /**
   * Bumps the epoch (or rotates the producer id when the epoch is spent). The previous epoch is
   * remembered only for a KIP-360 call that named it, so that a retry of that call gets the same
   * answer; a plain InitProducerId or a fence forgets it, as in Kafka.
   */
  private bumpEpoch(n: TxnMetadata, rememberPrevious = false): void {
    n.lastProducerEpoch = rememberPrevious ? n.producerEpoch : -1;
    if (n.producerEpoch >= EPOCH_EXHAUSTED) {
      n.producerId = this.producerIds.generate();
      n.producerEpoch = 0;
      n.lastProducerEpoch = -1;
    } else {
      n.producerEpoch++;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Client APIs

  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: bigint; producerEpoch: number } | null): InitResult | Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.settings.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const problem = this.store.ensure();
    if (problem) {
      this.log.error(problem);
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    if (!this.store.leads(transactionalId)) return fail(ErrorCode.NOT_COORDINATOR);
    let t = this.txns.get(transactionalId);
    if (!t) {
      t = {
        transactionalId,
        producerId: this.producerIds.generate(),
        producerEpoch: -1,
        lastProducerEpoch: -1,
        timeoutMs,
        state: 'Empty',
        partitions: new Map(),
        startMs: -1,
        lastUpdateMs: this.now(),
        clientTransactionVersion: 0,
        nextProducerId: -1n,
        previousProducerId: -1n,
      };
      const created = t;
      if (!this.transition(created, (n) => (n.producerEpoch = 0))) return fail(ErrorCode.NOT_COORDINATOR);
      this.txns.set(transactionalId, created);
      this.byProducerId.set(created.producerId, created);
      return this.whenDurable(transactionalId, { errorCode: ErrorCode.NONE, producerId: created.producerId, producerEpoch: created.producerEpoch }, fail);
    }
    if (expected && expected.producerEpoch >= 0 && expected.producerId !== t.producerId && t.producerEpoch >= 0) return fail(ErrorCode.PRODUCER_FENCED);
    switch (t.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case 'Ongoing': {
        // Fence the current producer: abort its transaction under a bumped epoch; the caller retries.
        const txn = t;
        if (!this.transition(txn, (n) => this.bumpEpoch(n))) return fail(ErrorCode.NOT_COORDINATOR);
        // The abort goes on in the background; the caller retries until it is complete.
        const code = this.endOngoing(txn, false);
        return fail(code === ErrorCode.NOT_COORDINATOR ? code : ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      default: {
        const txn = t;
        if (expected && expected.producerEpoch >= 0) {
          if (expected.producerEpoch === txn.lastProducerEpoch && expected.producerEpoch !== txn.producerEpoch) {
            // A retry of an InitProducerId we already answered.
            return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
          }
          if (expected.producerEpoch !== txn.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
        }
        const ok = this.transition(txn, (n) => {
          this.bumpEpoch(n, expected !== null && expected.producerEpoch >= 0);
          n.timeoutMs = timeoutMs;
          n.state = 'Empty';
          n.partitions.clear();
          n.startMs = -1;
        });
        return ok ? this.whenDurable(transactionalId, { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch }, fail) : fail(ErrorCode.NOT_COORDINATOR);
      }
    }
  }

  /** The checks every in-transaction call makes; NONE when the producer may go on. */
  private validate(t: TxnMetadata | undefined, producerId: bigint, producerEpoch: number): number {
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (t.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
    return ErrorCode.NONE;
  }

  /**
   * TxnOffsetCommit, verified as Kafka 4 does (KIP-890, transaction.partition.verification.enable
   * on by default): the producer must own the transactional id at its current epoch and its
   * ongoing transaction must hold the group's __consumer_offsets partition (AddOffsetsToTxn first),
   * else INVALID_TXN_STATE. A wrong epoch is INVALID_PRODUCER_EPOCH at every version here, not
   * PRODUCER_FENCED: what Kafka 4.1 answers (differential scenario div-txn-offset-commit).
   */
  validateOffsetsProducer(transactionalId: string, producerId: bigint, producerEpoch: number, offsetsPartition: TopicPartition): number {
    const t = this.txns.get(transactionalId);
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (t.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (t.state !== 'Ongoing' || !t.partitions.has(tpKey(offsetsPartition))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * AddPartitionsToTxn / AddOffsetsToTxn: one error code for all the partitions. With
   * `transactionVersion` 2 the add is the implicit one of a Produce v12 / TxnOffsetCommit v5
   * (KIP-890 part 2), recorded as a v2 transaction.
   */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[], transactionVersion = 0): number | Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    if (!this.store.leads(transactionalId)) return ErrorCode.NOT_COORDINATOR;
    const t = this.txns.get(transactionalId);
    const invalid = this.validate(t, producerId, producerEpoch);
    if (invalid !== ErrorCode.NONE) return invalid;
    const txn = t!;
    if (txn.state === 'Ongoing' && partitions.every((tp) => txn.partitions.has(tpKey(tp)))) return this.whenDurable(transactionalId, ErrorCode.NONE, (code) => code);
    const ok = this.transition(txn, (n) => {
      if (n.state !== 'Ongoing') n.startMs = this.now();
      n.state = 'Ongoing';
      if (transactionVersion >= 2) n.clientTransactionVersion = transactionVersion;
      for (const tp of partitions) n.partitions.set(tpKey(tp), tp);
    });
    return ok ? this.whenDurable(transactionalId, ErrorCode.NONE, (code) => code) : ErrorCode.NOT_COORDINATOR;
  }

  /** EndTxn below v5 (transactions v1): the error code alone. */
  endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): number | Promise<number> {
    const r = this.endTransaction(transactionalId, producerId, producerEpoch, commit, 0);
    return r instanceof Promise ? r.then((x) => x.errorCode) : r.errorCode;
  }

  /**
   * EndTxn, as Kafka's TransactionCoordinator.endTransaction. `transactionVersion` is 2 for
   * EndTxn v5 (the epoch is bumped with the Prepare record and the answer names the producer id
   * and epoch to go on with), lower for older requests. The epoch checks follow the transaction's
   * own version: a v2 transaction in a Prepare or Complete state takes only the retry of the
   * EndTxn that ended it (its epoch one below the stored one).
   */
  endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean, transactionVersion: number): EndResult | Promise<EndResult> {
    const fail = (errorCode: number): EndResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!this.store.leads(transactionalId)) return fail(ErrorCode.NOT_COORDINATOR);
    const t = this.txns.get(transactionalId);
    if (!t) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const current = (): EndResult => ({ errorCode: ErrorCode.NONE, producerId: t.producerId, producerEpoch: t.producerEpoch });
    const v2 = t.clientTransactionVersion >= 2;
    // A retry of a v2 EndTxn whose epoch ran out: the producer id moved on since.
    const retryOnOverflow = v2 && t.previousProducerId === producerId && producerEpoch === EPOCH_EXHAUSTED && t.producerEpoch === 0;
    const retryOnEpochBump = v2 && t.producerEpoch === producerEpoch + 1;
    if (t.producerId !== producerId && !retryOnOverflow) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    let validEpoch: boolean;
    if (!v2) validEpoch = producerEpoch === t.producerEpoch;
    else if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') validEpoch = retryOnEpochBump;
    else if (t.state === 'CompleteCommit' || t.state === 'CompleteAbort') validEpoch = retryOnEpochBump || retryOnOverflow || producerEpoch === t.producerEpoch;
    else validEpoch = producerEpoch === t.producerEpoch;
    if (!validEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    // v2: an abort at the current epoch with no transaction open (nothing sent yet, or the last one
    // ended) still bumps the epoch, through PrepareAbort with no partitions (Kafka 4.1).
    const abortWithoutTxn = transactionVersion >= 2 && !commit && producerEpoch === t.producerEpoch && (t.state === 'Empty' || t.state === 'CompleteCommit' || t.state === 'CompleteAbort');
    switch (abortWithoutTxn ? 'Ongoing' : t.state) {
      case 'Ongoing': {
        let nextProducerId = -1n;
        if (transactionVersion >= 2 && t.producerEpoch >= EPOCH_EXHAUSTED) nextProducerId = this.producerIds.generate();
        const code = this.endOngoing(t, commit, (n) => {
          n.clientTransactionVersion = transactionVersion;
          if (transactionVersion < 2) return;
          n.lastProducerEpoch = n.producerEpoch;
          n.producerEpoch++;
          n.nextProducerId = nextProducerId;
        });
        // The producer goes on with the id and epoch it will have once the markers are written.
        const answer = (c: number): EndResult =>
          c !== ErrorCode.NONE ? fail(c) : nextProducerId >= 0n ? { errorCode: c, producerId: nextProducerId, producerEpoch: 0 } : current();
        return code instanceof Promise ? code.then(answer) : answer(code);
      }
      case 'CompleteCommit':
      case 'CompleteAbort': {
        // v2: the epoch of the ended transaction is a retry; the current epoch asks to end a
        // transaction that was never started (Kafka 4.1 answers INVALID_TXN_STATE).
        const retry = !v2 || producerEpoch !== t.producerEpoch;
        return retry && commit === (t.state === 'CompleteCommit') ? current() : fail(ErrorCode.INVALID_TXN_STATE);
      }
      case 'PrepareCommit':
        return fail(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case 'PrepareAbort':
        return fail(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      default:
        return fail(ErrorCode.INVALID_TXN_STATE);
    }
  }

  /**
   * AddPartitionsToTxn v4+ with VerifyOnly (KIP-890 part 1, Kafka's
   * handleVerifyPartitionsInTransaction): a producer-level error for every partition, else NONE
   * for each partition in the ongoing transaction and TRANSACTION_ABORTABLE for the others.
   */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): number[] {
    const all = (code: number): number[] => partitions.map(() => code);
    if (transactionalId === '') return all(ErrorCode.INVALID_REQUEST);
    if (!this.store.leads(transactionalId)) return all(ErrorCode.NOT_COORDINATOR);
    const t = this.txns.get(transactionalId);
    if (!t || t.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (t.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return partitions.map((tp) => (t.partitions.has(tpKey(tp)) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE));
  }

  /**
   * Whether a transactional produce to this partition belongs to an ongoing transaction that added
   * it (Kafka's partition verification); the error code otherwise.
   */
  verifyPartition(producerId: bigint, producerEpoch: number, tp: TopicPartition): number {
    const t = this.byProducerId.get(producerId);
    if (!t) return ErrorCode.INVALID_TXN_STATE;
    if (t.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return t.state === 'Ongoing' && t.partitions.has(tpKey(tp)) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
  }

  // ---------------------------------------------------------------------------------------
  // Timers

  /** Aborts transactions open longer than their timeout, fencing their producer. */
  abortTimedOut(): void {
    const now = this.now();
    for (const t of [...this.txns.values()]) {
      if (t.state !== 'Ongoing' || now - t.startMs <= t.timeoutMs) continue;
      this.log.info(`transaction ${t.transactionalId} (producer ${t.producerId}) timed out after ${t.timeoutMs} ms: aborting`);
      if (this.transition(t, (n) => this.bumpEpoch(n))) void this.endOngoing(t, false);
    }
  }

  /** Removes transactional ids idle longer than transactional.id.expiration.ms. */
  expireIds(): void {
    const now = this.now();
    for (const t of [...this.txns.values()]) {
      if (t.state === 'Ongoing' || t.state === 'PrepareCommit' || t.state === 'PrepareAbort') continue;
      if (now - t.lastUpdateMs <= this.settings.idExpirationMs) continue;
      try {
        this.store.append(t.transactionalId, [{ key: encodeTxnKey(t.transactionalId), value: null }]);
        this.txns.delete(t.transactionalId);
        this.byProducerId.delete(t.producerId);
      } catch (err) {
        if (!(err instanceof LogStorageError)) throw err;
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Admin

  describe(transactionalId: string): TxnDescription {
    const t = this.txns.get(transactionalId);
    if (!t) {
      // Kafka leaves the other fields at the schema's defaults (zeros) for an unknown id.
      return { transactionalId, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, state: '', timeoutMs: 0, startMs: 0, producerId: 0n, producerEpoch: 0, partitions: [] };
    }
    return {
      transactionalId,
      errorCode: ErrorCode.NONE,
      state: t.state,
      timeoutMs: t.timeoutMs,
      startMs: t.startMs,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      partitions: [...t.partitions.values()],
    };
  }

  /** ListTransactions: filters by state, producer id, and (v1) open longer than durationMs. */
  list(states: string[], producerIds: bigint[], durationMs: bigint): Array<{ transactionalId: string; producerId: bigint; state: string }> {
    const now = this.now();
    return [...this.txns.values()]
      .filter((t) => states.length === 0 || states.includes(t.state))
      .filter((t) => producerIds.length === 0 || producerIds.includes(t.producerId))
      .filter((t) => durationMs < 0n || (t.state === 'Ongoing' && BigInt(now - t.startMs) >= durationMs))
      .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.state }));
  }
}
