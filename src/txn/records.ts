/**
 * Records of the `__transaction_state` log, in Kafka's formats:
 *   key   = version int16 (0) | transactionalId STRING
 *   value = version int16 (0) | producerId int64 | producerEpoch int16 | transactionTimeoutMs int32 |
 *           transactionStatus int8 | transactionPartitions NULLABLE ARRAY of
 *           { topic STRING | partitionIds ARRAY of int32 } | transactionLastUpdateTimestampMs int64 |
 *           transactionStartTimestampMs int64
 *   (null value = tombstone: the transactional id expired)
 * Status codes: Empty 0, Ongoing 1, PrepareCommit 2, PrepareAbort 3, CompleteCommit 4,
 * CompleteAbort 5, Dead 6, PrepareEpochFence 7.
 *
 * Value version 1 (flexible: compact strings and arrays, a tagged-field section after each
 * partitions entry and after the value) carries what transactions v2 (KIP-890 part 2) needs, as
 * tagged fields: PreviousProducerId (tag 0, int64), NextProducerId (tag 1, int64: the producer id
 * a transaction whose epoch ran out moves to once its markers are written) and
 * ClientTransactionVersion (tag 2, int16). Like Kafka we write version 1 for a transaction ended
 * with transaction version 2 and version 0 otherwise; both are read.
 */
import { DecodeError, Reader, Writer } from '../protocol/wire.js';

export const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;
export type TxnState = (typeof TXN_STATES)[number];

export interface TxnLogValue {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Array<{ topic: string; partitions: number[] }>;
  lastUpdateMs: bigint;
  startMs: bigint;
  /** Version-1 fields (defaults -1, -1, 0 when absent). */
  previousProducerId?: bigint;
  nextProducerId?: bigint;
  clientTransactionVersion?: number;
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(32);
  w.int16(0);
  w.string(transactionalId);
  return Buffer.from(w.finish());
}

export function decodeTxnKey(buf: Buffer): string {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`transaction log key version ${version} is not one this broker reads (0)`);
  const id = r.string();
  r.check();
  return id;
}

/** Version 1 for a transaction ended with transaction version 2, else version 0 (as Kafka writes them). */
export function encodeTxnValue(v: TxnLogValue): Buffer {
  const flexible = (v.clientTransactionVersion ?? 0) >= 2;
  const w = new Writer(64);
  w.int16(flexible ? 1 : 0);
  w.int64(v.producerId);
  w.int16(v.producerEpoch);
  w.int32(v.timeoutMs);
  w.int8(TXN_STATES.indexOf(v.state));
  const count = (n: number): void => (flexible ? w.compactArrayCount(n) : w.arrayCount(n));
  count(v.partitions.length);
  for (const t of v.partitions) {
    if (flexible) w.compactString(t.topic);
    else w.string(t.topic);
    count(t.partitions.length);
    for (const p of t.partitions) w.int32(p);
    if (flexible) w.taggedFields();
  }
  w.int64(v.lastUpdateMs);
  w.int64(v.startMs);
  if (flexible) w.taggedFields(v1Tags(v));
  return Buffer.from(w.finish());
}

/** The version-1 tagged fields that differ from their defaults (Kafka's generated writer leaves those out). */
function v1Tags(v: TxnLogValue): Array<[number, Buffer]> {
  const tags: Array<[number, Buffer]> = [];
  const int64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  if ((v.previousProducerId ?? -1n) !== -1n) tags.push([0, int64(v.previousProducerId!)]);
  if ((v.nextProducerId ?? -1n) !== -1n) tags.push([1, int64(v.nextProducerId!)]);
  if ((v.clientTransactionVersion ?? 0) !== 0) {
    const tv = Buffer.alloc(2);
    tv.writeInt16BE(v.clientTransactionVersion!);
    tags.push([2, tv]);
  }
  return tags;
}

export function decodeTxnValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0 && version !== 1) throw new DecodeError(`transaction log value version ${version} is not one this broker reads (0-1)`);
  const flexible = version === 1;
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const status = r.int8();
  const state = TXN_STATES[status];
  if (state === undefined) throw new DecodeError(`unknown transaction status ${status}`);
  const count = (minElementBytes: number): number => (flexible ? r.compactArrayCount(minElementBytes) : r.arrayCount(minElementBytes));
  const n = count(flexible ? 3 : 6);
  const partitions: TxnLogValue['partitions'] = [];
  for (let i = 0; i < Math.max(n, 0) && r.error === null; i++) {
    const topic = flexible ? r.compactString() : r.string();
    const m = count(4);
    const ps: number[] = [];
    for (let j = 0; j < m && r.error === null; j++) ps.push(r.int32());
    if (flexible) r.taggedFields();
    partitions.push({ topic, partitions: ps });
  }
  const lastUpdateMs = r.int64();
  const startMs = r.int64();
  const value: TxnLogValue = { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateMs, startMs };
  if (flexible) {
    value.previousProducerId = -1n;
    value.nextProducerId = -1n;
    value.clientTransactionVersion = 0;
    r.taggedFields((tag, f) => {
      if (tag === 0) value.previousProducerId = f.int64();
      else if (tag === 1) value.nextProducerId = f.int64();
      else if (tag === 2) value.clientTransactionVersion = f.int16();
      else return false;
      return true;
    });
  }
  r.check();
  return value;
}
