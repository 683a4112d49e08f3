/**
 * AddPartitionsToTxn (key 24), versions 0-5. v0-3 is the client form: partitions of topics that
 * do not exist get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as Kafka
 * answers; otherwise one code for all, from the coordinator.
 *
 * v4-5 is the brokers' batched form (KIP-890): a partition leader asks the transaction's
 * coordinator about a transactional Produce, several transactions per request. It needs
 * CLUSTER_ACTION on the cluster (else the top-level CLUSTER_AUTHORIZATION_FAILED, no results).
 * Per transaction: VerifyOnly asks whether each partition is in the ongoing transaction already
 * (KIP-890 part 1: NONE or TRANSACTION_ABORTABLE per partition, or one producer-level error);
 * without it the partitions are added (part 2: Produce v12, TxnOffsetCommit v5, transaction
 * version 2). v5 only tells that the sender understands TRANSACTION_ABORTABLE.
 */
import { AddPartitionsToTxn, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../protocol/generated/24-add-partitions-to-txn.js';
import { ErrorCode } from '../protocol/errors.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import { authorize, authorizeCluster, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { fencedFor } from './txn-errors.js';

export const addPartitionsToTxnHandler: ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  codec: AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  handle(req: AddPartitionsToTxnRequest, ctx: RequestContext): AddPartitionsToTxnResponse | Promise<AddPartitionsToTxnResponse> {
    if (ctx.apiVersion >= 4) return brokerForm(req, ctx);
    const b = ctx.broker;
    // The partitions of the cluster, wherever they are led: the coordinator need not hold them.
    const exists = (topic: string, partition: number): boolean => b.replicas.metadataHas(topic, partition);
    const tps = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const answer = (common: number | null): AddPartitionsToTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: 0,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: common ?? (exists(t.name, partitionIndex) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        })),
      })),
    });
    // Issue 13 (Kafka's handleAddPartitionsToTxnRequest): WRITE on the transactional id, then on
    // each topic; refused topics get TOPIC_AUTHORIZATION_FAILED, the rest OPERATION_NOT_ATTEMPTED.
    if (!authorize(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const writable = authorizedNames(ctx, Op.WRITE, Res.TOPIC, req.v3AndBelowTopics.filter((t) => !INTERNAL_TOPICS.has(t.name)).map((t) => t.name));
    if (req.v3AndBelowTopics.some((t) => !INTERNAL_TOPICS.has(t.name) && !writable.has(t.name))) {
      const refused = answer(null);
      for (const t of refused.resultsByTopicV3AndBelow) {
        if (INTERNAL_TOPICS.has(t.name) || writable.has(t.name)) continue;
        for (const p of t.resultsByPartition) p.partitionErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      }
      return refused;
    }
    if (tps.some((tp) => !exists(tp.topic, tp.partition))) return answer(null);
    const code = b.transactions.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, tps);
    return code instanceof Promise ? code.then((c) => answer(fencedFor(c, ctx.apiVersion, 2))) : answer(fencedFor(code, ctx.apiVersion, 2));
  },
};

type TxnResult = AddPartitionsToTxnResponse['resultsByTransaction'][number];

/** v4+: one result per transaction, each verified or added by the coordinator. */
function brokerForm(req: AddPartitionsToTxnRequest, ctx: RequestContext): AddPartitionsToTxnResponse | Promise<AddPartitionsToTxnResponse> {
  const b = ctx.broker;
  const response = (errorCode: number, resultsByTransaction: TxnResult[]): AddPartitionsToTxnResponse => ({ throttleTimeMs: 0, errorCode, resultsByTransaction, resultsByTopicV3AndBelow: [] });
  if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return response(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []);
  const results = req.transactions.map((txn): TxnResult | Promise<TxnResult> => {
    const tps = txn.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const result = (code: (i: number) => number): TxnResult => {
      let i = 0;
      return {
        transactionalId: txn.transactionalId,
        topicResults: txn.topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code(i++) })) })),
      };
    };
    // A partition that does not exist fails the transaction's request, the others are not attempted (as v0-3).
    const exists = tps.map((tp) => b.replicas.metadataHas(tp.topic, tp.partition));
    if (exists.includes(false)) return result((i) => (exists[i] ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    if (txn.verifyOnly) {
      const codes = b.transactions.verifyPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, tps);
      return result((i) => codes[i]!);
    }
    const code = b.transactions.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, tps, 2);
    return code instanceof Promise ? code.then((c) => result(() => c)) : result(() => code);
  });
  if (!results.some((r) => r instanceof Promise)) return response(ErrorCode.NONE, results as TxnResult[]);
  return Promise.all(results).then((r) => response(ErrorCode.NONE, r));
}
