/**
 * GET /requests?limit=N: the newest N entries of the request log (control/request-log.ts),
 * oldest first (newest last); all it holds without `limit` (limits.requestLogEntriesMax).
 *
 *   [{"ts": 1764667800000, "connectionId": 3, "clientId": "rdkafka", "clientSoftware": "librdkafka",
 *     "clientSoftwareVersion": "2.3.0", "apiKey": 0, "apiName": "Produce", "apiVersion": 9,
 *     "latencyMs": 0.41, "errorCode": 6, "fault": 2, "notes": []}]
 */
import type { RequestLog, RequestLogEntry } from '../control/request-log.js';
import { intParam } from './partitions.js';

export function requestsRoute(log: RequestLog, query: URLSearchParams): RequestLogEntry[] {
  const limit = query.get('limit');
  return log.recent(limit === null ? undefined : intParam('limit', limit, 0));
}
