/**
 * PRODUCER_FENCED (90) exists only from certain versions of the transactional APIs (KIP-588);
 * older versions answer a fenced producer with INVALID_PRODUCER_EPOCH (47).
 */
import { ErrorCode } from '../protocol/errors.js';

export function fencedFor(errorCode: number, version: number, firstVersionWithFenced: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

/** A coordinator's per-partition answer as the producer is told it (Kafka's AddPartitionsToTxnManager). */
export function forProducer(code: number, abortableErrorSupported: boolean): number {
  if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (code === ErrorCode.TRANSACTION_ABORTABLE && !abortableErrorSupported) return ErrorCode.INVALID_TXN_STATE;
  return code;
}
