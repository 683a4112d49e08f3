/**
 * TxnOffsetCommit (key 28), versions 0-3: offsets written as part of the producer's transaction
 * (send_offsets_to_transaction), visible to OffsetFetch only after the commit marker. v3 carries
 * the consumer's generation and member id (KIP-447), checked like OffsetCommit's. The
 * transaction is verified first (Kafka 4, KIP-890): the group's offsets partition must be in the
 * producer's ongoing transaction (txn/coordinator.ts validateOffsetsProducer) — when the
 * transaction's coordinator is this broker; one on another broker is not asked (as Kafka with
 * transaction.partition.verification.enable=false). Answered once durable, as OffsetCommit is.
 */
import { TxnOffsetCommit, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../protocol/generated/28-txn-offset-commit.js';
import { OFFSETS_TOPIC } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { whenOffsetsDurable } from './offsets-durable.js';

function answerAll(req: TxnOffsetCommitRequest, code: (topic: string) => number): TxnOffsetCommitResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name) })) })) };
}

export const txnOffsetCommitHandler: ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  codec: TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 3,
  handle(req: TxnOffsetCommitRequest, ctx: RequestContext): TxnOffsetCommitResponse | Promise<TxnOffsetCommitResponse> {
    const b = ctx.broker;
    const offsetsPartition = { topic: OFFSETS_TOPIC, partition: b.offsetsTopic.partitionFor(req.groupId) };
    // Issue 13 (Kafka's handleTxnOffsetCommitRequest): WRITE on the transactional id, READ on the
    // group, READ on each topic.
    const denied = !authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !authorize(ctx, Op.READ, Res.GROUP, req.groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED : 0;
    if (denied !== 0) return answerAll(req, () => denied);
    const readable = authorizedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
    const allowed = req.topics.filter((t) => readable.has(t.name));
    const txnCheck = b.transactionsTopic.leads(req.transactionalId) ? b.transactions.validateOffsetsProducer(req.transactionalId, req.producerId, req.producerEpoch, offsetsPartition) : 0;
    const allowedCodes =
      txnCheck !== 0
        ? allowed.map((t) => t.partitions.map(() => txnCheck))
        : b.groups.txnCommitOffsets(
            {
              groupId: req.groupId,
              generationId: req.generationId,
              memberId: req.memberId,
              groupInstanceId: req.groupInstanceId,
              topics: allowed.map((t) => ({ name: t.name, partitions: t.partitions })),
              producerId: req.producerId,
              producerEpoch: req.producerEpoch,
            },
            (topic, partition) => b.replicas.metadataHas(topic, partition),
          );
    let next = 0;
    const codes = req.topics.map((t) => (readable.has(t.name) ? allowedCodes[next++]! : t.partitions.map(() => ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
    const answer = (codes: number[][]): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t, i) => ({ name: t.name, partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j]! })) })),
    });
    const durable = whenOffsetsDurable(b, req.groupId, codes);
    return durable instanceof Promise ? durable.then(answer) : answer(durable);
  },
};
