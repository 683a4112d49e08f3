/**
 * PRODUCER_FENCED (90) exists only from certain versions of the transactional APIs (KIP-588);
 * older versions answer a fenced producer with INVALID_PRODUCER_EPOCH (47).
 */
const PRODUCER_FENCED = 90;
const INVALID_PRODUCER_EPOCH = 47;

export function fencedFor(errorCode: number, version: number, firstVersionWithFenced: number): number {
  return errorCode === PRODUCER_FENCED && version < firstVersionWithFenced ? INVALID_PRODUCER_EPOCH : errorCode;
}
