/**
 * ListTransactions (key 66), versions 0-2 (KIP-664, KIP-994, KIP-1152): filters by state, producer
 * id, from v1 by how long a transaction has been open, and from v2 by a regular expression the
 * whole transactional id must match (null or empty: every id). Unknown state names are echoed
 * back; a filter of unknown states only matches no transaction.
 */
import { ListTransactions, type ListTransactionsRequest, type ListTransactionsResponse } from '../protocol/generated/66-list-transactions.js';
import { TXN_STATES } from '../txn/records.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const listTransactionsHandler: ApiHandler<ListTransactionsRequest, ListTransactionsResponse> = {
  codec: ListTransactions,
  minVersion: 0,
  maxVersion: 2,
  handle(req: ListTransactionsRequest, ctx: RequestContext): ListTransactionsResponse {
    const known = new Set<string>(TXN_STATES);
    let pattern: RegExp | null = null;
    if (req.transactionalIdPattern !== null && req.transactionalIdPattern !== '') {
      try {
        pattern = new RegExp(`^(?:${req.transactionalIdPattern})$`, 'u');
      } catch {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
      }
    }
    const states = req.stateFilters.filter((s) => known.has(s));
    // A filter naming only unknown states matches nothing (Kafka), not everything.
    if (req.stateFilters.length > 0 && states.length === 0) return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters: req.stateFilters, transactionStates: [] };
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      unknownStateFilters: req.stateFilters.filter((s) => !known.has(s)),
      transactionStates: ctx.broker.transactions
        .list(states, req.producerIdFilters, req.durationFilter)
        // Issue 13: only the transactional ids with DESCRIBE.
        .filter((t) => (pattern === null || pattern.test(t.transactionalId)) && authorize(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, t.transactionalId))
        .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
    };
  },
};
