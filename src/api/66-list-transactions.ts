/**
 * ListTransactions (key 66), versions 0-1 (KIP-664, KIP-994): filters by state, producer id and,
 * from v1, by how long a transaction has been open. Unknown state names are echoed back.
 */
import { ListTransactions, type ListTransactionsRequest, type ListTransactionsResponse } from '../protocol/generated/66-list-transactions.js';
import { TXN_STATES } from '../txn/records.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const listTransactionsHandler: ApiHandler<ListTransactionsRequest, ListTransactionsResponse> = {
  codec: ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(req: ListTransactionsRequest, ctx: RequestContext): ListTransactionsResponse {
    const known = new Set<string>(TXN_STATES);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      unknownStateFilters: req.stateFilters.filter((s) => !known.has(s)),
      transactionStates: ctx.broker.transactions
        .list(req.stateFilters.filter((s) => known.has(s)), req.producerIdFilters, req.durationFilter)
        .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
    };
  },
};
