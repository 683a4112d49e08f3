/**
 * Producer state of one partition: for each producer id, its epoch and its last five batches'
 * sequence ranges and offsets, which is what idempotence needs (KIP-98):
 *
 * - a batch equal to one of the last five (same epoch, same first and last sequence) is a retry:
 *   it is answered with the original offsets and not appended again;
 * - an epoch below the producer's current one gets INVALID_PRODUCER_EPOCH;
 * - a new epoch must start at sequence 0; within an epoch the first sequence must follow the last
 *   one (int32 wrap-around included), else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer with no state
 *   here (new, or expired) may start at any sequence, as in Kafka.
 *
 * Sequences count records: a batch with base sequence s and last offset delta d covers s..s+d.
 *
 * Transactions: a producer's first transactional batch opens its transaction at that batch's
 * offset; a commit or abort marker (control batch) closes it. The smallest open first offset is
 * where the last stable offset stops; an abort yields the aborted range (producer id, first
 * offset, marker offset) that READ_COMMITTED fetches need. A marker carries the coordinator's
 * current epoch for the producer, which may be higher than the data's (a producer fenced on
 * timeout): it closes the transaction and raises the epoch.
 *
 * Snapshot file `<20-digit offset>.snapshot` (the state as of that log offset), big-endian:
 *   magic "SLPS" | version int16 (1) | crc32c uint32 of everything after it | count int32 |
 *   count x { producerId int64 | epoch int16 | lastTimestamp int64 | currentTxnFirstOffset int64
 *             (-1: none) | coordinatorEpoch int32 | batches int8 (0..5) |
 *             batches x { firstSeq int32 | lastSeq int32 | firstOffset int64 | lastOffset int64 } }
 * A snapshot that fails its CRC or parse is ignored (the state is rebuilt from the log instead).
 */
import { crc32c } from '../native/crc32c.js';
import { ErrorCode } from '../protocol/errors.js';
import { Reader, Writer } from '../protocol/wire.js';
import type { BatchInfo } from './record-batch.js';


/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const BATCHES_RETAINED = 5;

const INT32_MAX = 0x7fffffff;
const SNAPSHOT_MAGIC = Buffer.from('SLPS', 'latin1');
const SNAPSHOT_VERSION = 1;

export interface BatchRecord {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
}

export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  lastTimestamp: bigint;
  /** Oldest first, at most BATCHES_RETAINED. */
  batches: BatchRecord[];
  /** Offset of the first batch of the producer's open transaction here, or null. */
  currentTxnFirstOffset: bigint | null;
  coordinatorEpoch: number;
}

/** A transaction that was aborted: its data lies in [firstOffset, lastOffset) (lastOffset: the marker). */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: bigint; lastOffset: bigint }
  | { kind: 'error'; errorCode: number; message: string };

const APPEND: SequenceCheck = { kind: 'append' };

/** Last sequence of a batch: base + delta, wrapping past int32 max to 0 as Kafka does. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence > INT32_MAX - lastOffsetDelta ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1 : baseSequence + lastOffsetDelta;
}

const inSequence = (lastSeq: number, nextSeq: number): boolean => nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerEntry>();
  /** Producers with an open transaction here (usually few): the last stable offset comes from these. */
  private readonly openTxns = new Set<ProducerEntry>();

  /** Decides whether a client batch may be appended, is a retry, or must be refused. */
  check(info: BatchInfo): SequenceCheck {
    if (info.producerId < 0n) return APPEND;
    const entry = this.producers.get(info.producerId);
    if (!entry) return APPEND;
    const firstSeq = info.baseSequence;
    const lastSeq = lastSequence(firstSeq, info.lastOffsetDelta);
    if (info.producerEpoch === entry.epoch) {
      const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
      if (dup) return { kind: 'duplicate', firstOffset: dup.firstOffset, lastOffset: dup.lastOffset };
    }
    if (info.producerEpoch < entry.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `Epoch of producer ${info.producerId} is ${info.producerEpoch}, smaller than the last seen epoch ${entry.epoch}`,
      };
    }
    if (info.producerEpoch > entry.epoch) {
      if (firstSeq !== 0) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `Invalid sequence number for new epoch of producer ${info.producerId}: ${info.producerEpoch} (request epoch), ${firstSeq} (seq. number), ${entry.epoch} (current producer epoch)`,
        };
      }
      return this.txnCheck(info, entry);
    }
    const last = entry.batches[entry.batches.length - 1];
    if (last !== undefined && !inSequence(last.lastSeq, firstSeq)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `Out of order sequence number for producer ${info.producerId} at offset ${last.lastOffset + 1n}: ${firstSeq} (incoming seq. number), ${last.lastSeq} (current end sequence number)`,
      };
    }
    return this.txnCheck(info, entry);
  }

  /** After the epoch and sequence checks, as Kafka: a producer with an open transaction here may only write transactional batches. */
  private txnCheck(info: BatchInfo, entry: ProducerEntry): SequenceCheck {
    if (!info.isTransactional && entry.currentTxnFirstOffset !== null) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE, message: `Expected transactional write from producer ${info.producerId} at offset ${entry.currentTxnFirstOffset}` };
    }
    return APPEND;
  }

  private entryFor(producerId: bigint, epoch: number, timestamp: bigint): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = { producerId, epoch, lastTimestamp: timestamp, batches: [], currentTxnFirstOffset: null, coordinatorEpoch: -1 };
      this.producers.set(producerId, entry);
    } else if (epoch > entry.epoch) {
      // A new epoch starts a new sequence history; an open transaction stays open until its marker.
      entry.epoch = epoch;
      entry.batches = [];
    }
    return entry;
  }

  /**
   * Records an appended data batch (after offsets were assigned). Batches without a producer id
   * are ignored; control batches go to `completeTxn`.
   */
  update(info: BatchInfo, firstOffset: bigint): void {
    if (info.producerId < 0n || info.isControl) return;
    const entry = this.entryFor(info.producerId, info.producerEpoch, info.maxTimestamp);
    if (info.isTransactional && entry.currentTxnFirstOffset === null) {
      entry.currentTxnFirstOffset = firstOffset;
      this.openTxns.add(entry);
    }
    if (info.maxTimestamp > entry.lastTimestamp) entry.lastTimestamp = info.maxTimestamp;
    if (info.baseSequence < 0) return;
    entry.batches.push({
      firstSeq: info.baseSequence,
      lastSeq: lastSequence(info.baseSequence, info.lastOffsetDelta),
      firstOffset,
      lastOffset: firstOffset + BigInt(info.lastOffsetDelta),
    });
    if (entry.batches.length > BATCHES_RETAINED) entry.batches.shift();
  }

  /**
   * Applies a commit or abort marker written at `markerOffset`. Returns the aborted range when
   * the marker aborted an open transaction, else null.
   */
  completeTxn(producerId: bigint, epoch: number, markerOffset: bigint, commit: boolean, coordinatorEpoch: number, timestamp: bigint, lastStableOffset: bigint): AbortedTxn | null {
    const entry = this.entryFor(producerId, epoch, timestamp);
    const first = entry.currentTxnFirstOffset;
    entry.currentTxnFirstOffset = null;
    this.openTxns.delete(entry);
    entry.coordinatorEpoch = coordinatorEpoch;
    if (timestamp > entry.lastTimestamp) entry.lastTimestamp = timestamp;
    return !commit && first !== null ? { producerId, firstOffset: first, lastOffset: markerOffset, lastStableOffset } : null;
  }

  /** The coordinator epoch of the last marker written for this producer; -1 when none. */
  coordinatorEpoch(producerId: bigint): number {
    return this.producers.get(producerId)?.coordinatorEpoch ?? -1;
  }

  /** The smallest first offset of an open transaction: where the last stable offset stops. */
  firstUnstableOffset(): bigint | null {
    let min: bigint | null = null;
    for (const e of this.openTxns) {
      if (e.currentTxnFirstOffset !== null && (min === null || e.currentTxnFirstOffset < min)) min = e.currentTxnFirstOffset;
    }
    return min;
  }

  /** Drops producers whose last batch is older than `expirationMs` (producer.id.expiration.ms). */
  expire(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset === null && BigInt(nowMs) - e.lastTimestamp > BigInt(expirationMs)) {
        this.producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.producers.clear();
    this.openTxns.clear();
  }

  encodeSnapshot(): Buffer {
    const w = new Writer(64 + this.producers.size * 64);
    w.raw(SNAPSHOT_MAGIC);
    w.int16(SNAPSHOT_VERSION);
    w.uint32(0);
    const crcFrom = w.offset;
    w.int32(this.producers.size);
    for (const e of this.producers.values()) {
      w.int64(e.producerId);
      w.int16(e.epoch);
      w.int64(e.lastTimestamp);
      w.int64(e.currentTxnFirstOffset ?? -1n);
      w.int32(e.coordinatorEpoch);
      w.int8(e.batches.length);
      for (const b of e.batches) {
        w.int32(b.firstSeq);
        w.int32(b.lastSeq);
        w.int64(b.firstOffset);
        w.int64(b.lastOffset);
      }
    }
    const out = Buffer.from(w.finish());
    out.writeUInt32BE(crc32c(out, crcFrom), crcFrom - 4);
    return out;
  }

  /** Replaces the state with a snapshot's. False (state untouched) when the snapshot is bad. */
  loadSnapshot(buf: Buffer): boolean {
    const headerBytes = SNAPSHOT_MAGIC.length + 2 + 4;
    if (buf.length < headerBytes + 4 || !buf.subarray(0, 4).equals(SNAPSHOT_MAGIC)) return false;
    if (buf.readInt16BE(4) !== SNAPSHOT_VERSION) return false;
    if (buf.readUInt32BE(6) !== crc32c(buf, headerBytes)) return false;
    const r = new Reader(buf, headerBytes);
    // producerId + epoch + lastTimestamp + txn first offset + coordinator epoch + batch count
    const n = r.arrayCount(31);
    const loaded = new Map<bigint, ProducerEntry>();
    for (let i = 0; i < n && r.error === null; i++) {
      const producerId = r.int64();
      const epoch = r.int16();
      const lastTimestamp = r.int64();
      const txnFirst = r.int64();
      const coordinatorEpoch = r.int32();
      const count = r.int8();
      if (count < 0 || count > BATCHES_RETAINED) {
        r.fail(`batch count ${count}`);
        break;
      }
      const batches: BatchRecord[] = [];
      for (let j = 0; j < count; j++) batches.push({ firstSeq: r.int32(), lastSeq: r.int32(), firstOffset: r.int64(), lastOffset: r.int64() });
      loaded.set(producerId, { producerId, epoch, lastTimestamp, batches, currentTxnFirstOffset: txnFirst < 0n ? null : txnFirst, coordinatorEpoch });
    }
    if (r.error !== null || r.remaining !== 0) return false;
    this.clear();
    for (const [k, v] of loaded) {
      this.producers.set(k, v);
      if (v.currentTxnFirstOffset !== null) this.openTxns.add(v);
    }
    return true;
  }
}
