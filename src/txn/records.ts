/**
 * Records of the `__transaction_state` log, in Kafka's formats:
 *   key   = version int16 (0) | transactionalId STRING
 *   value = version int16 (0) | producerId int64 | producerEpoch int16 | transactionTimeoutMs int32 |
 *           transactionStatus int8 | transactionPartitions NULLABLE ARRAY of
 *           { topic STRING | partitionIds ARRAY of int32 } | transactionLastUpdateTimestampMs int64 |
 *           transactionStartTimestampMs int64
 *   (null value = tombstone: the transactional id expired)
 * Status codes: Empty 0, Ongoing 1, PrepareCommit 2, PrepareAbort 3, CompleteCommit 4,
 * CompleteAbort 5, Dead 6, PrepareEpochFence 7. We write value version 0 and read only it (v1 adds
 * tagged fields for transactions v2, which we do not serve).
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

export function encodeTxnValue(v: TxnLogValue): Buffer {
  const w = new Writer(64);
  w.int16(0);
  w.int64(v.producerId);
  w.int16(v.producerEpoch);
  w.int32(v.timeoutMs);
  w.int8(TXN_STATES.indexOf(v.state));
  w.arrayCount(v.partitions.length);
  for (const t of v.partitions) {
    w.string(t.topic);
    w.arrayCount(t.partitions.length);
    for (const p of t.partitions) w.int32(p);
  }
  w.int64(v.lastUpdateMs);
  w.int64(v.startMs);
  return Buffer.from(w.finish());
}

export function decodeTxnValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new DecodeError(`transaction log value version ${version} is not one this broker reads (0)`);
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const status = r.int8();
  const state = TXN_STATES[status];
  if (state === undefined) throw new DecodeError(`unknown transaction status ${status}`);
  const n = r.arrayCount(6);
  const partitions: TxnLogValue['partitions'] = [];
  for (let i = 0; i < Math.max(n, 0) && r.error === null; i++) {
    const topic = r.string();
    const m = r.arrayCount(4);
    const ps: number[] = [];
    for (let j = 0; j < m && r.error === null; j++) ps.push(r.int32());
    partitions.push({ topic, partitions: ps });
  }
  const lastUpdateMs = r.int64();
  const startMs = r.int64();
  r.check();
  return { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateMs, startMs };
}
