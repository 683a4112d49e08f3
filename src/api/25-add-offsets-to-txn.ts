/**
 * AddOffsetsToTxn (key 25), versions 0-3: adds the group's __consumer_offsets partition to the
 * transaction, so that EndTxn writes a marker there and TxnOffsetCommit offsets become visible
 * (or vanish) with the transaction.
 */
import { AddOffsetsToTxn, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../protocol/generated/25-add-offsets-to-txn.js';
import { OFFSETS_TOPIC } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

export const addOffsetsToTxnHandler: ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  codec: AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 3,
  handle(req: AddOffsetsToTxnRequest, ctx: RequestContext): AddOffsetsToTxnResponse {
    const b = ctx.broker;
    const problem = b.offsetsTopic.ensure();
    if (problem) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const tp = { topic: OFFSETS_TOPIC, partition: b.offsetsTopic.partitionFor(req.groupId) };
    return { throttleTimeMs: 0, errorCode: fencedFor(b.transactions.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [tp]), ctx.apiVersion, 2) };
  },
};
