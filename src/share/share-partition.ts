/**
 * The delivery state of one share-partition: one share group reading one topic-partition
 * (KIP-932), kept by the partition's leader. Kafka's `SharePartition` (core/.../server/share).
 * A pure state machine driven by calls and a clock: no log reads, no network, no codecs. The
 * ShareFetch/ShareAcknowledge handlers feed it the record batches they read and the
 * acknowledgements clients send, and write its `snapshot()` to `__share_group_state`.
 *
 * Offsets and states:
 *
 *   ... dropped | SPSO ........ in flight ........ SPEO | never fetched (AVAILABLE, count 0) ...
 *
 * - SPSO (share-partition start offset, `startOffset`): below it every record is done with.
 * - SPEO (share-partition end offset, `endOffset`): one past the last offset ever acquired.
 * - Every offset in [SPSO, SPEO) has a state: AVAILABLE (to be delivered again; its delivery
 *   count says how often it was), ACQUIRED (by one member, until its lock deadline), ACKNOWLEDGED
 *   (accepted), ARCHIVED (rejected, a gap that is no record, or out of delivery attempts).
 *   The states are kept as ranges of offsets that share them, split only where offsets diverge
 *   and merged back when they meet again; SPEO - SPSO is bounded by `maxInFlightRecords`.
 * - SPSO moves past the lowest ranges once they are ACKNOWLEDGED or ARCHIVED, and their state
 *   is dropped; `advanceTo(logStartOffset)` drops everything below the log start.
 *
 * Transitions (Kafka's RecordState.validateTransition): AVAILABLE -> ACQUIRED (delivery count
 * +1, lock deadline now + lockDurationMs); ACQUIRED -> ACKNOWLEDGED | ARCHIVED | AVAILABLE (by
 * acknowledgement, lock expiry or the member leaving). A record going back to AVAILABLE whose
 * delivery count has reached `deliveryCountLimit` is ARCHIVED instead: it is never delivered
 * again. ACKNOWLEDGED and ARCHIVED are final.
 *
 * Locks: one clock timer, for the earliest lock deadline, re-armed after every change (Kafka sets
 * a timer task per acquired batch; one timer keeps the timers bounded whatever the clients do).
 * Every operation first expires the locks whose deadline has passed, so a late timer never lets
 * an expired lock be acknowledged.
 *
 * Persistence: `snapshot()` is what `__share_group_state` keeps (ShareSnapshot/ShareUpdate
 * values): SPSO and the ranges that differ from "never fetched", with Kafka's persisted state
 * codes. ACQUIRED is written as AVAILABLE with its delivery count: a broker that restarts has no
 * locks, and the delivery in progress still counts against the limit. `onChange` tells the owner
 * when the snapshot changed in a way Kafka persists: acknowledgements, releases (a member left),
 * lock expiries, records archived at acquisition, the log start moving. A plain acquisition is
 * not persisted, as in Kafka.
 *
 * Not concurrency-safe by design: every method runs to completion; nothing awaits.
 */

import type { Clock, TimerHandle } from '../control/clock.js';
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';

/** Kafka's RecordState ids; 0, 2 and 4 are also the persisted delivery states. */
export const RecordState = { AVAILABLE: 0, ACQUIRED: 1, ACKNOWLEDGED: 2, ARCHIVED: 4 } as const;
export type RecordState = (typeof RecordState)[keyof typeof RecordState];

/** ShareAcknowledge/ShareFetch acknowledge types (KIP-932). */
export const AcknowledgeType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3 } as const;


export interface SharePartitionSettings {
  /** group.share.record.lock.duration.ms (Kafka default 30,000). */
  lockDurationMs: number;
  /** group.share.delivery.count.limit (Kafka default 5): deliveries before a record is archived. */
  deliveryCountLimit: number;
  /** group.share.partition.max.record.locks: the most offsets in flight (SPEO - SPSO). */
  maxInFlightRecords: number;
}

/** One record batch the caller read from the log: its first and last offset. */
export interface OffsetRange {
  firstOffset: bigint;
  lastOffset: bigint;
}

/** ShareFetch's AcquiredRecords entry. */
export interface AcquiredRecords {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryCount: number;
}

/** One AcknowledgementBatches entry: one type for the range, or one per offset. */
export interface AcknowledgementBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: readonly number[];
}

/** A persisted state batch (WriteShareGroupState's StateBatches). */
export interface ShareStateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  /** 0 AVAILABLE, 2 ACKNOWLEDGED, 4 ARCHIVED. */
  deliveryState: number;
  deliveryCount: number;
}

export interface ShareStateSnapshot {
  startOffset: bigint;
  /** Ascending, not overlapping, all at or above startOffset. */
  batches: ShareStateBatch[];
}

/** An in-flight range, for ShareGroupDescribe, the inspector and tests. */
export interface InFlightRange {
  firstOffset: bigint;
  lastOffset: bigint;
  state: RecordState;
  deliveryCount: number;
  /** The member holding it when ACQUIRED, else null. */
  memberId: string | null;
  /** When its lock runs out, when ACQUIRED, else null. */
  lockDeadlineMs: number | null;
}

/** Why the persisted state changed. */
export type ShareChangeReason = 'acknowledge' | 'release' | 'expiry' | 'archive' | 'advance';

export interface SharePartitionOptions {
  /** The SPSO of a share-partition with no persisted state (from share.auto.offset.reset). */
  startOffset: bigint;
  clock: Clock;
  settings: SharePartitionSettings;
  /**
   * Persisted state to resume from; its startOffset is the SPSO then (`startOffset` is not
   * used). When the log start has moved above it meanwhile, call `advanceTo` after.
   */
  state?: ShareStateSnapshot;
  /** Called after each change to the persisted state (see the module comment). */
  onChange?: (reason: ShareChangeReason) => void;
}

/** One range of offsets in the same state. Ranges cover [SPSO, SPEO) without gaps or overlap. */
interface Range {
  first: bigint;
  last: bigint;
  state: RecordState;
  deliveryCount: number;
  memberId: string | null;
  deadlineMs: number | null;
}

const sizeOf = (r: { first: bigint; last: bigint }): bigint => r.last - r.first + 1n;
const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function sameState(a: Range, b: Range): boolean {
  return a.state === b.state && a.deliveryCount === b.deliveryCount && a.memberId === b.memberId && a.deadlineMs === b.deadlineMs;
}

/** Where an acknowledge type sends an ACQUIRED offset (RELEASE before the delivery limit). */
const ACK_TARGET: readonly RecordState[] = [RecordState.ARCHIVED, RecordState.ACKNOWLEDGED, RecordState.AVAILABLE, RecordState.ARCHIVED];

export class SharePartition {
  private readonly clock: Clock;
  private readonly settings: SharePartitionSettings;
  private readonly onChange: ((reason: ShareChangeReason) => void) | undefined;
  private spso: bigint;
  private speo: bigint;
  private ranges: Range[] = [];
  private timer: TimerHandle | null = null;
  private timerDueMs = Infinity;
  private closed = false;

  constructor(opts: SharePartitionOptions) {
    checkSettings(opts.settings);
    this.clock = opts.clock;
    this.settings = { ...opts.settings };
    this.onChange = opts.onChange;
    if (opts.state === undefined) {
      if (opts.startOffset < 0n) throw new RangeError(`share-partition start offset ${opts.startOffset} < 0`);
      this.spso = this.speo = opts.startOffset;
    } else {
      const { startOffset, ranges } = rangesOfSnapshot(opts.state);
      this.spso = startOffset;
      this.ranges = ranges;
      this.speo = ranges.length > 0 ? ranges[ranges.length - 1]!.last + 1n : startOffset;
      this.mergeAll();
      this.sweep();
    }
  }

  /** SPSO: every offset below it is done with. */
  get startOffset(): bigint {
    return this.spso;
  }

  /** SPEO: one past the last offset ever acquired. */
  get endOffset(): bigint {
    return this.speo;
  }

  /**
   * Where the caller should read the log from for the next acquisition: the first in-flight
   * AVAILABLE offset, else SPEO.
   */
  nextFetchOffset(): bigint {
    for (const r of this.ranges) if (r.state === RecordState.AVAILABLE) return r.first;
    return this.speo;
  }

  /**
   * Whether an acquisition could take anything: something in flight is AVAILABLE, or the
   * in-flight window has room for new offsets (Kafka's canAcquireRecords).
   */
  canAcquireRecords(): boolean {
    if (this.nextFetchOffset() < this.speo) return true;
    return this.speo - this.spso < BigInt(this.settings.maxInFlightRecords);
  }

  /**
   * Acquires for `memberId`, in offset order, the AVAILABLE offsets of `candidates`: the record
   * batches the caller just read from the log, ascending (first and last offset of each; a batch
   * may start below SPSO). A log read is contiguous, so an offset between two candidates is no
   * record (compacted away): it is acquired with the batch after it, as Kafka acquires the span of
   * a fetch, and the client acknowledges it as a GAP. `fetchOffset` is where the read started
   * (nextFetchOffset() when the read began): offsets from there to the first batch are no records
   * either and go with it. Without it the span starts at the first batch, so AVAILABLE offsets
   * that are no records (a gap released by a lock expiry) would stay AVAILABLE for good. It is
   * not read again here on purpose: a lock that ran out during the read made records AVAILABLE
   * that the read did not return, and they must not be taken for gaps.
   * When nothing is in flight, SPSO and SPEO first move up to the first batch (as Kafka).
   *
   * Offsets in flight are taken when AVAILABLE, skipped when ACQUIRED, ACKNOWLEDGED or ARCHIVED;
   * offsets at SPEO and above are taken a whole batch at a time, and only while SPEO - SPSO stays
   * within maxInFlightRecords (a first batch larger than the window is taken when nothing is in
   * flight, else nothing could ever be). Stops once `maxRecords` are acquired, at a batch boundary,
   * so it may return up to a batch more (Kafka's maxFetchRecords is soft the same way).
   * An AVAILABLE offset that has used up its deliveries is archived instead of acquired.
   *
   * Returns the acquired ranges, adjacent ones with equal delivery counts merged.
   */
  acquire(memberId: string, candidates: readonly OffsetRange[], maxRecords: number, fetchOffset?: bigint): AcquiredRecords[] {
    checkCandidates(candidates);
    const expired = this.expireDue();
    const out: AcquiredRecords[] = [];
    let archived = false;
    if (maxRecords > 0 && candidates.length > 0) {
      const first = candidates[0]!;
      const readFrom = fetchOffset ?? first.firstOffset;
      if (this.ranges.length === 0 && first.firstOffset > this.speo) this.spso = this.speo = first.firstOffset;
      const deadlineMs = this.clock.nowMs() + this.settings.lockDurationMs;
      const budget = BigInt(Math.min(Math.floor(maxRecords), Number.MAX_SAFE_INTEGER));
      let acquired = 0n;
      let unitFirst = maxOf(this.spso, minOf(readFrom, first.firstOffset));
      for (const c of candidates) {
        if (acquired >= budget) break;
        const unitLast = c.lastOffset;
        const from = unitFirst;
        unitFirst = maxOf(unitFirst, unitLast + 1n);
        if (unitLast < from) continue;
        // In flight: the AVAILABLE offsets.
        const inFlightLast = minOf(unitLast, this.speo - 1n);
        if (from <= inFlightLast) {
          const r = this.acquireInFlight(memberId, from, inFlightLast, deadlineMs, out);
          acquired += r.acquired;
          archived ||= r.archived;
        }
        // New offsets: the rest of the batch, whole or not at all.
        if (unitLast >= this.speo) {
          const newFirst = maxOf(from, this.speo);
          const window = unitLast + 1n - this.spso;
          if (window > BigInt(this.settings.maxInFlightRecords) && this.ranges.length > 0) break;
          this.ranges.push({ first: newFirst, last: unitLast, state: RecordState.ACQUIRED, deliveryCount: 1, memberId, deadlineMs });
          this.speo = unitLast + 1n;
          pushAcquired(out, newFirst, unitLast, 1);
          acquired += unitLast - newFirst + 1n;
        }
      }
    }
    this.settle(archived ? 'archive' : expired ? 'expiry' : null);
    return out;
  }

  /**
   * Applies a member's acknowledgements (ShareAcknowledge, or those piggy-backed on ShareFetch):
   * GAP and REJECT archive, ACCEPT acknowledges, RELEASE makes the records AVAILABLE again
   * (ARCHIVED once their delivery count has reached the limit). All or nothing: the answer is
   * - INVALID_REQUEST for a malformed list (first > last, types neither one nor one per offset,
   *   a type outside 0-3, batches overlapping or out of order), checked before anything else;
   *   and, as Kafka, for a batch reaching past the in-flight offsets (at or above SPEO);
   * - INVALID_RECORD_STATE when an offset is not ACQUIRED by this member (never acquired, held by
   *   another, lock expired, already acknowledged), or nothing is in flight at all;
   * - NONE otherwise. Offsets below SPSO are skipped without error, as Kafka does: they are done
   *   with already (the log start passed them, or the records were archived).
   * Batches are checked in order and the first error is the answer; then nothing changes.
   */
  acknowledge(memberId: string, batches: readonly AcknowledgementBatch[]): number {
    const malformed = checkAcknowledgements(batches);
    if (malformed !== ErrorCode.NONE) return malformed;
    const expired = this.expireDue();
    const error = this.checkOwnership(memberId, batches);
    if (error !== ErrorCode.NONE) {
      this.settle(expired ? 'expiry' : null);
      return error;
    }
    let changed = false;
    for (const b of batches) {
      if (b.lastOffset < this.spso) continue;
      const types = b.acknowledgeTypes;
      if (types.length === 1) {
        changed = this.applyAck(maxOf(b.firstOffset, this.spso), b.lastOffset, types[0]!) || changed;
        continue;
      }
      // One type per offset: apply runs of equal types as ranges.
      let runStart = maxOf(b.firstOffset, this.spso);
      for (let o = runStart; o <= b.lastOffset; o++) {
        const type = types[Number(o - b.firstOffset)]!;
        const next = o + 1n;
        if (next > b.lastOffset || types[Number(next - b.firstOffset)] !== type) {
          changed = this.applyAck(runStart, o, type) || changed;
          runStart = next;
        }
      }
    }
    this.settle(changed ? 'acknowledge' : expired ? 'expiry' : null);
    return ErrorCode.NONE;
  }

  /**
   * A member left or its share session closed: every offset it holds goes back as on lock expiry
   * (AVAILABLE, or ARCHIVED when out of deliveries). Kafka's releaseAcquiredRecords. With
   * `uncount`, the delivery the member did not finish is not counted (its delivery count goes
   * back by one, so it is AVAILABLE again): what Kafka 4.1 does when a member's share session
   * closes or its connection drops (KAFKA-17541), checked against the reference broker: a
   * killed consumer's records come back with the delivery count they had before.
   */
  releaseMember(memberId: string, opts: { uncount?: boolean } = {}): void {
    const expired = this.expireDue();
    let changed = false;
    for (const r of this.ranges) {
      if (r.state === RecordState.ACQUIRED && r.memberId === memberId) {
        if (opts.uncount && r.deliveryCount > 0) r.deliveryCount -= 1;
        this.unlock(r);
        changed = true;
      }
    }
    this.settle(changed ? 'release' : expired ? 'expiry' : null);
  }

  /**
   * The log start moved to `logStartOffset` (retention, DeleteRecords): everything below is
   * dropped, acquired offsets too (their acknowledgements are then skipped as below SPSO).
   * Kafka's updateCacheAndOffsets. Nothing happens when it is not above SPSO.
   */
  advanceTo(logStartOffset: bigint): void {
    if (logStartOffset <= this.spso) return;
    if (logStartOffset >= this.speo) {
      this.ranges = [];
      this.speo = logStartOffset;
    } else {
      const i = this.splitAt(logStartOffset);
      this.ranges.splice(0, i);
    }
    this.spso = logStartOffset;
    this.settle('advance');
  }

  /** The state to persist (see the module comment). */
  snapshot(): ShareStateSnapshot {
    const batches: ShareStateBatch[] = [];
    for (const r of this.ranges) {
      const deliveryState = r.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : r.state;
      if (deliveryState === RecordState.AVAILABLE && r.deliveryCount === 0) continue;
      const prev = batches[batches.length - 1];
      if (prev && prev.lastOffset + 1n === r.first && prev.deliveryState === deliveryState && prev.deliveryCount === r.deliveryCount) {
        prev.lastOffset = r.last;
      } else {
        batches.push({ firstOffset: r.first, lastOffset: r.last, deliveryState, deliveryCount: r.deliveryCount });
      }
    }
    return { startOffset: this.spso, batches };
  }

  /** The in-flight ranges, lowest first. */
  inFlight(): InFlightRange[] {
    return this.ranges.map((r) => ({
      firstOffset: r.first,
      lastOffset: r.last,
      state: r.state,
      deliveryCount: r.deliveryCount,
      memberId: r.memberId,
      lockDeadlineMs: r.deadlineMs,
    }));
  }

  /** Offsets ACQUIRED, by `memberId` or by anyone. */
  acquiredCount(memberId?: string): number {
    let n = 0n;
    for (const r of this.ranges) {
      if (r.state === RecordState.ACQUIRED && (memberId === undefined || r.memberId === memberId)) n += sizeOf(r);
    }
    return Number(n);
  }

  /**
   * Stops the lock timer. The state stays readable and usable (for a last snapshot); locks then
   * expire only when the next operation looks at them.
   */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerDueMs = Infinity;
  }

  // ---- internals ----

  /** Acquires the AVAILABLE offsets of in-flight [first, last]. */
  private acquireInFlight(
    memberId: string,
    first: bigint,
    last: bigint,
    deadlineMs: number,
    out: AcquiredRecords[],
  ): { acquired: bigint; archived: boolean } {
    let acquired = 0n;
    let archived = false;
    const [from, to] = this.slice(first, last);
    for (let i = from; i < to; i++) {
      const r = this.ranges[i]!;
      if (r.state !== RecordState.AVAILABLE) continue;
      if (r.deliveryCount >= this.settings.deliveryCountLimit) {
        // Out of deliveries (restored so, or the limit was lowered): never delivered again.
        r.state = RecordState.ARCHIVED;
        archived = true;
        continue;
      }
      r.state = RecordState.ACQUIRED;
      r.deliveryCount++;
      r.memberId = memberId;
      r.deadlineMs = deadlineMs;
      pushAcquired(out, r.first, r.last, r.deliveryCount);
      acquired += sizeOf(r);
    }
    return { acquired, archived };
  }

  /**
   * The first error the acknowledgements meet, batch by batch, as Kafka's SharePartition checks
   * them: below SPSO skipped; nothing in flight INVALID_RECORD_STATE; past the in-flight offsets
   * INVALID_REQUEST; an offset not ACQUIRED by this member INVALID_RECORD_STATE.
   */
  private checkOwnership(memberId: string, batches: readonly AcknowledgementBatch[]): number {
    for (const b of batches) {
      if (b.lastOffset < this.spso) continue;
      if (this.ranges.length === 0) return ErrorCode.INVALID_RECORD_STATE;
      if (b.lastOffset >= this.speo) return ErrorCode.INVALID_REQUEST;
      const first = maxOf(b.firstOffset, this.spso);
      for (let i = this.indexOf(first); i < this.ranges.length && this.ranges[i]!.first <= b.lastOffset; i++) {
        const r = this.ranges[i]!;
        if (r.state !== RecordState.ACQUIRED || r.memberId !== memberId) return ErrorCode.INVALID_RECORD_STATE;
      }
    }
    return ErrorCode.NONE;
  }

  /** Moves ACQUIRED offsets [first, last] (checked) as acknowledge type `type` says. */
  private applyAck(first: bigint, last: bigint, type: number): boolean {
    const [from, to] = this.slice(first, last);
    for (let i = from; i < to; i++) {
      const r = this.ranges[i]!;
      if (type === AcknowledgeType.RELEASE) {
        this.unlock(r);
      } else {
        r.state = ACK_TARGET[type]!;
        r.memberId = null;
        r.deadlineMs = null;
      }
    }
    return to > from;
  }

  /** ACQUIRED -> AVAILABLE, or ARCHIVED once the delivery count has reached the limit. */
  private unlock(r: Range): void {
    r.state = r.deliveryCount >= this.settings.deliveryCountLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE;
    r.memberId = null;
    r.deadlineMs = null;
  }

  /** Releases every lock whose deadline has passed; whether any did. */
  private expireDue(): boolean {
    const nowMs = this.clock.nowMs();
    let any = false;
    for (const r of this.ranges) {
      if (r.state === RecordState.ACQUIRED && r.deadlineMs !== null && r.deadlineMs <= nowMs) {
        this.unlock(r);
        any = true;
      }
    }
    return any;
  }

  private onLockTimer(): void {
    this.timer = null;
    this.timerDueMs = Infinity;
    this.settle(this.expireDue() ? 'expiry' : null);
  }

  /**
   * After an operation: merge equal neighbours, move SPSO, re-arm the lock timer, and tell the
   * owner once, with the operation's reason (a persisted change it made includes any expiry).
   */
  private settle(reason: ShareChangeReason | null): void {
    this.mergeAll();
    this.sweep();
    this.rearm();
    if (reason !== null) this.onChange?.(reason);
  }

  /** SPSO moves past the lowest ranges that are ACKNOWLEDGED or ARCHIVED; their state is dropped. */
  private sweep(): void {
    let i = 0;
    while (i < this.ranges.length) {
      const s = this.ranges[i]!.state;
      if (s !== RecordState.ACKNOWLEDGED && s !== RecordState.ARCHIVED) break;
      i++;
    }
    if (i === 0) return;
    this.spso = this.ranges[i - 1]!.last + 1n;
    this.ranges.splice(0, i);
  }

  private mergeAll(): void {
    if (this.ranges.length < 2) return;
    const merged: Range[] = [this.ranges[0]!];
    for (let i = 1; i < this.ranges.length; i++) {
      const r = this.ranges[i]!;
      const prev = merged[merged.length - 1]!;
      if (sameState(prev, r)) prev.last = r.last;
      else merged.push(r);
    }
    this.ranges = merged;
  }

  /** One timer, due at the earliest lock deadline. */
  private rearm(): void {
    let dueMs = Infinity;
    for (const r of this.ranges) if (r.state === RecordState.ACQUIRED && r.deadlineMs! < dueMs) dueMs = r.deadlineMs!;
    if (dueMs === this.timerDueMs && this.timer !== null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerDueMs = Infinity;
    if (this.closed || dueMs === Infinity) return;
    this.timerDueMs = dueMs;
    this.timer = this.clock.setTimeout(() => this.onLockTimer(), Math.max(0, dueMs - this.clock.nowMs())).unref();
  }

  /** Index of the range holding `offset` (SPSO <= offset < SPEO). */
  private indexOf(offset: bigint): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.ranges[mid]!.first <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Makes a range start at `offset` (SPSO <= offset <= SPEO); returns its index (length at SPEO). */
  private splitAt(offset: bigint): number {
    if (offset >= this.speo) return this.ranges.length;
    const i = this.indexOf(offset);
    const r = this.ranges[i]!;
    if (r.first === offset) return i;
    this.ranges.splice(i + 1, 0, { ...r, first: offset });
    r.last = offset - 1n;
    return i + 1;
  }

  /** Splits so that in-flight [first, last] is whole ranges; returns their index span [from, to). */
  private slice(first: bigint, last: bigint): [number, number] {
    const from = this.splitAt(first);
    const to = this.splitAt(last + 1n);
    return [from, to];
  }
}

function pushAcquired(out: AcquiredRecords[], firstOffset: bigint, lastOffset: bigint, deliveryCount: number): void {
  const prev = out[out.length - 1];
  if (prev && prev.lastOffset + 1n === firstOffset && prev.deliveryCount === deliveryCount) prev.lastOffset = lastOffset;
  else out.push({ firstOffset, lastOffset, deliveryCount });
}

function checkSettings(s: SharePartitionSettings): void {
  if (!Number.isInteger(s.lockDurationMs) || s.lockDurationMs < 1) throw new RangeError(`lockDurationMs ${s.lockDurationMs} < 1`);
  if (!Number.isInteger(s.deliveryCountLimit) || s.deliveryCountLimit < 1) throw new RangeError(`deliveryCountLimit ${s.deliveryCountLimit} < 1`);
  const max = limits.shareRecordLocksPerPartitionMax;
  if (!Number.isInteger(s.maxInFlightRecords) || s.maxInFlightRecords < 1 || s.maxInFlightRecords > max) {
    throw new RangeError(`maxInFlightRecords ${s.maxInFlightRecords} outside 1-${max}`);
  }
}

/** Candidates come from our own log read: out of order is a bug, not a client's mistake. */
function checkCandidates(candidates: readonly OffsetRange[]): void {
  let prev = -1n;
  for (const c of candidates) {
    if (c.firstOffset > c.lastOffset || c.firstOffset <= prev) {
      throw new Error(`share acquire: candidate batches must ascend without overlap, got [${c.firstOffset}, ${c.lastOffset}] after ${prev}`);
    }
    prev = c.lastOffset;
  }
}

/**
 * INVALID_REQUEST for a malformed acknowledgement list (Kafka checks it in KafkaApis before the
 * share-partition sees it), else NONE. Kafka lets a batch start at the previous one's last
 * offset; an overlap is an overlap here.
 */
function checkAcknowledgements(batches: readonly AcknowledgementBatch[]): number {
  let prevLast: bigint | null = null;
  for (const b of batches) {
    if (b.firstOffset > b.lastOffset) return ErrorCode.INVALID_REQUEST;
    if (prevLast !== null && b.firstOffset <= prevLast) return ErrorCode.INVALID_REQUEST;
    const n = b.acknowledgeTypes.length;
    if (n !== 1 && BigInt(n) !== b.lastOffset - b.firstOffset + 1n) return ErrorCode.INVALID_REQUEST;
    for (const t of b.acknowledgeTypes) if (!Number.isInteger(t) || t < 0 || t > 3) return ErrorCode.INVALID_REQUEST;
    prevLast = b.lastOffset;
  }
  return ErrorCode.NONE;
}

/**
 * The ranges a persisted snapshot describes: its batches, with AVAILABLE count 0 ("never
 * fetched") between them. A snapshot that breaks its own rules throws, as Kafka fails the
 * share-partition's initialization. A persisted ACQUIRED (1) comes back AVAILABLE: no lock
 * survives a restart.
 */
function rangesOfSnapshot(s: ShareStateSnapshot): { startOffset: bigint; ranges: Range[] } {
  if (s.startOffset < 0n) throw new RangeError(`share state: start offset ${s.startOffset} < 0`);
  const ranges: Range[] = [];
  let next = s.startOffset;
  for (const b of s.batches) {
    if (b.firstOffset < next || b.firstOffset > b.lastOffset) {
      throw new RangeError(`share state: batch [${b.firstOffset}, ${b.lastOffset}] below ${next} or reversed`);
    }
    if (!Number.isInteger(b.deliveryCount) || b.deliveryCount < 0) throw new RangeError(`share state: delivery count ${b.deliveryCount}`);
    const state = restoredState(b.deliveryState);
    if (b.firstOffset > next) ranges.push(fresh(next, b.firstOffset - 1n));
    ranges.push({ first: b.firstOffset, last: b.lastOffset, state, deliveryCount: b.deliveryCount, memberId: null, deadlineMs: null });
    next = b.lastOffset + 1n;
  }
  return { startOffset: s.startOffset, ranges };
}

function restoredState(code: number): RecordState {
  switch (code) {
    case RecordState.AVAILABLE:
    case RecordState.ACQUIRED:
      return RecordState.AVAILABLE;
    case RecordState.ACKNOWLEDGED:
      return RecordState.ACKNOWLEDGED;
    case RecordState.ARCHIVED:
      return RecordState.ARCHIVED;
    default:
      throw new RangeError(`share state: unknown delivery state ${code}`);
  }
}

function fresh(first: bigint, last: bigint): Range {
  return { first, last, state: RecordState.AVAILABLE, deliveryCount: 0, memberId: null, deadlineMs: null };
}
