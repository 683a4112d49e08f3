/**
 * GET /requests?limit=N: the newest N entries of the request log (control/request-log.ts),
 * oldest first (newest last); all it holds without `limit` (limits.requestLogEntriesMax).
 *
 *   [{"ts": 1764667800000, "connectionId": 3, "clientId": "rdkafka", "clientSoftware": "librdkafka",
 *     "clientSoftwareVersion": "2.3.0", "apiKey": 0, "apiName": "Produce", "apiVersion": 9,
 *     "latencyMs": 0.41, "errorCode": 6, "fault": 2, "notes": []}]
 *
 * POST /requests/next: `nextRequest` over HTTP. The body is a matcher plus a timeout,
 * {"apiKey": 1, "topic": "t", "timeoutMs": 5000} (fields: apiKey, minVersion, maxVersion,
 * clientId, topic, partition); the answer is the entry of the next matching request once it has
 * been answered, or 408 {"error": ...} at the timeout (required, at most NEXT_TIMEOUT_MS_MAX).
 * Arm it before making the request it waits for (the POST returns only when it comes).
 */
import { ConfigError } from '../config/config-error.js';
import type { RequestLog, RequestLogEntry, RequestMatcher } from '../control/request-log.js';
import { intParam } from './partitions.js';

/** Longest an HTTP caller may wait for a request (ms). */
export const NEXT_TIMEOUT_MS_MAX = 300_000;

const MATCHER_KEYS = new Set(['apiKey', 'minVersion', 'maxVersion', 'clientId', 'topic', 'partition']);

export function requestsRoute(log: RequestLog, query: URLSearchParams): RequestLogEntry[] {
  const limit = query.get('limit');
  return log.recent(limit === null ? undefined : intParam('limit', limit, 0));
}

export async function nextRequestRoute(log: RequestLog, body: string): Promise<{ status: number; json: unknown }> {
  const v: unknown = JSON.parse(body === '' ? '{}' : body);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('the body is a JSON object, e.g. {"apiKey": 1, "timeoutMs": 5000}');
  const { timeoutMs, ...matcher } = v as Record<string, unknown>;
  for (const k of Object.keys(matcher)) if (!MATCHER_KEYS.has(k)) throw new ConfigError(`unknown field "${k}"; fields: ${[...MATCHER_KEYS].join(', ')}, timeoutMs`);
  if (!(Number.isInteger(timeoutMs) && (timeoutMs as number) >= 0 && (timeoutMs as number) <= NEXT_TIMEOUT_MS_MAX)) throw new ConfigError(`timeoutMs is required, 0..${NEXT_TIMEOUT_MS_MAX}`);
  for (const k of ['clientId', 'topic'] as const) if (matcher[k] !== undefined && typeof matcher[k] !== 'string') throw new ConfigError(`${k} must be a string`);
  try {
    return { status: 200, json: await log.nextRequest(matcher as RequestMatcher, { timeoutMs: timeoutMs as number }) };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return { status: 408, json: { error: (err as Error).message } };
  }
}
