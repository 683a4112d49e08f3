/**
 * TxnOffsetCommit (key 28), versions 0-5: offsets written as part of the producer's transaction
 * (send_offsets_to_transaction), visible to OffsetFetch only after the commit marker. v3 carries
 * the consumer's generation and member id (KIP-447), checked like OffsetCommit's. The
 * transaction is verified first (Kafka 4, KIP-890): the group's offsets partition must be in the
 * producer's ongoing transaction (txn/coordinator.ts validateOffsetsProducer), else
 * INVALID_TXN_STATE, TRANSACTION_ABORTABLE from v4 (whose clients know it). v5 is transactions
 * v2 (KIP-890 part 2): the client sends no AddOffsetsToTxn, and the offsets partition is added to
 * the transaction here. The coordinator is asked wherever it is: this broker's directly, another
 * broker's with AddPartitionsToTxn v5 (src/txn-partition-checks.ts). Answered once durable, as
 * OffsetCommit is.
 */
import { TxnOffsetCommit, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../protocol/generated/28-txn-offset-commit.js';
import { OFFSETS_TOPIC } from '../metadata/internal-topic.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { whenOffsetsDurable } from './offsets-durable.js';
import { forProducer } from './txn-errors.js';

/** v4: the client understands TRANSACTION_ABORTABLE; v5: the offsets partition is added implicitly (KIP-890). */
const FIRST_ABORTABLE_VERSION = 4;
const FIRST_ADD_PARTITION_VERSION = 5;

function answerAll(req: TxnOffsetCommitRequest, code: (topic: string) => number): TxnOffsetCommitResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name) })) })) };
}

export const txnOffsetCommitHandler: ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  codec: TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 5,
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
    const commit = (txnCheck: number): number[][] | Promise<number[][]> => {
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
      return whenOffsetsDurable(b, req.groupId, codes);
    };
    const answer = (codes: number[][]): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t, i) => ({ name: t.name, partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j]! })) })),
    });
    const finish = (txnCheck: number): TxnOffsetCommitResponse | Promise<TxnOffsetCommitResponse> => {
      const durable = commit(txnCheck);
      return durable instanceof Promise ? durable.then(answer) : answer(durable);
    };
    const check = checkTransaction(req, ctx, offsetsPartition);
    return check instanceof Promise ? check.then(finish) : finish(check);
  },
};

/** The transaction check before the offsets are taken (see the header): NONE, an error, or a Promise of either. */
function checkTransaction(req: TxnOffsetCommitRequest, ctx: RequestContext, offsetsPartition: { topic: string; partition: number }): number | Promise<number> {
  const b = ctx.broker;
  const abortable = ctx.apiVersion >= FIRST_ABORTABLE_VERSION;
  const add = ctx.apiVersion >= FIRST_ADD_PARTITION_VERSION;
  if (!b.transactionsTopic.leads(req.transactionalId)) {
    return b
      .checkTxnPartitions({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, partitions: [offsetsPartition], verifyOnly: !add, abortableErrorSupported: abortable })
      .then((codes) => codes[0]!);
  }
  if (add) {
    const code = b.transactions.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [offsetsPartition], 2);
    return code instanceof Promise ? code.then((c) => forProducer(c, abortable)) : forProducer(code, abortable);
  }
  const code = b.transactions.validateOffsetsProducer(req.transactionalId, req.producerId, req.producerEpoch, offsetsPartition);
  return code === ErrorCode.INVALID_TXN_STATE && abortable ? ErrorCode.TRANSACTION_ABORTABLE : code;
}
