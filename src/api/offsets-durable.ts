/**
 * OffsetCommit and TxnOffsetCommit answer once the offsets they stored are on every in-sync
 * replica of the group's __consumer_offsets partition (Kafka's coordinator writes with acks=all,
 * waiting up to offsets.commit.timeout.ms). A commit that did not become durable in time gets
 * the coordinator's error (COORDINATOR_NOT_AVAILABLE, or NOT_COORDINATOR when the partition's
 * leadership moved) for every partition that was stored.
 */
import { coordinatorWriteError } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerServices } from './context.js';

export function whenOffsetsDurable(b: BrokerServices, groupId: string, codes: number[][]): number[][] | Promise<number[][]> {
  if (!codes.some((ps) => ps.includes(ErrorCode.NONE))) return codes;
  const durable = b.offsetsTopic.durable(groupId, Number(b.config.get('offsets.commit.timeout.ms')));
  if (durable === null) return codes;
  return durable.then((code) => (code === ErrorCode.NONE ? codes : codes.map((ps) => ps.map((c) => (c === ErrorCode.NONE ? coordinatorWriteError(code) : c)))));
}
