/**
 * Transaction markers: the control batches a transaction coordinator writes to every partition of
 * a transaction when it ends (KIP-98). A marker batch has the control and transactional bits set,
 * the producer's id and epoch, no sequence, and exactly one record:
 *   key   = version int16 (0) | type int16 (0 = ABORT, 1 = COMMIT)
 *   value = version int16 (0) | coordinatorEpoch int32        (Kafka's EndTxnMarker)
 */
import { buildRecordBatch, decodeRecords } from './record-batch.js';

export const CONTROL_ABORT = 0;
export const CONTROL_COMMIT = 1;

export function buildMarkerBatch(producerId: bigint, producerEpoch: number, commit: boolean, coordinatorEpoch: number, timestampMs: bigint): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? CONTROL_COMMIT : CONTROL_ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return buildRecordBatch([{ key, value, timestamp: timestampMs }], { producerId, producerEpoch, baseSequence: -1, isControl: true, isTransactional: true });
}

export interface Marker {
  commit: boolean;
  coordinatorEpoch: number;
}

/** Reads the marker of one stored control batch; null when it is not a transaction marker. */
export function readMarker(batch: Buffer): Marker | null {
  const rec = decodeRecords(batch)[0];
  if (!rec || rec.key === null || rec.key.length < 4) return null;
  const type = rec.key.readInt16BE(2);
  if (type !== CONTROL_ABORT && type !== CONTROL_COMMIT) return null;
  const coordinatorEpoch = rec.value !== null && rec.value.length >= 6 ? rec.value.readInt32BE(2) : -1;
  return { commit: type === CONTROL_COMMIT, coordinatorEpoch };
}
