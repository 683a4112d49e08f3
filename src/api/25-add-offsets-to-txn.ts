/**
 * AddOffsetsToTxn (key 25), versions 0-4: adds the group's __consumer_offsets partition to the
 * transaction, so that EndTxn writes a marker there and TxnOffsetCommit offsets become visible
 * (or vanish) with the transaction. The partition is the group's by offsets.topic.num.partitions
 * even before the topic exists (its creation may be on its way from another broker), as in Kafka.
 * v4 only tells that the client understands TRANSACTION_ABORTABLE (KIP-890), which the coordinator
 * does not answer here. A transactions-v2 client sends none: TxnOffsetCommit v5 adds the partition.
 */
import { AddOffsetsToTxn, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../protocol/generated/25-add-offsets-to-txn.js';
import { OFFSETS_TOPIC } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

export const addOffsetsToTxnHandler: ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  codec: AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  handle(req: AddOffsetsToTxnRequest, ctx: RequestContext): AddOffsetsToTxnResponse | Promise<AddOffsetsToTxnResponse> {
    const b = ctx.broker;
    // Issue 13: WRITE on the transactional id, READ on the group.
    if (!authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const tp = { topic: OFFSETS_TOPIC, partition: b.offsetsTopic.partitionFor(req.groupId) };
    const answer = (code: number): AddOffsetsToTxnResponse => ({ throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2) });
    const code = b.transactions.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [tp]);
    return code instanceof Promise ? code.then(answer) : answer(code);
  },
};
