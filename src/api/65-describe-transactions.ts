/** DescribeTransactions (key 65), version 0 (KIP-664): state, timeout, producer and partitions. */
import { DescribeTransactions, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../protocol/generated/65-describe-transactions.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const describeTransactionsHandler: ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  codec: DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(req: DescribeTransactionsRequest, ctx: RequestContext): DescribeTransactionsResponse {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        // Issue 13: DESCRIBE on the transactional id; partitions of topics without DESCRIBE left out.
        if (!authorize(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, id)) {
          // The schema's defaults, as Kafka leaves them: zeros.
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: 0n, producerId: 0n, producerEpoch: 0, topics: [] };
        }
        const d = ctx.broker.transactions.describe(id);
        const byTopic = new Map<string, number[]>();
        for (const tp of d.partitions) if (authorize(ctx, Op.DESCRIBE, Res.TOPIC, tp.topic)) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
        return {
          errorCode: d.errorCode,
          transactionalId: id,
          transactionState: d.state,
          transactionTimeoutMs: d.timeoutMs,
          transactionStartTimeMs: BigInt(d.startMs),
          producerId: d.producerId,
          producerEpoch: d.producerEpoch,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
};
