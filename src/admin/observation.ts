/**
 * The observation routes of the admin endpoint (each in its own file), dispatched from server.ts:
 *
 *   GET /requests?limit=N   the request log, newest last (requests.ts)
 *   POST /requests/next     the next matching request, once answered (requests.ts; routed in server.ts: it has a body)
 *   GET /connections        open client connections (connections.ts)
 *   GET /partitions         partition state: offsets, leader, epoch, ISR, size (partitions.ts)
 *   GET /metrics            Prometheus text (metrics.ts)
 *   GET /telemetry          client telemetry (KIP-714): each client instance, its subscription and
 *                           what it pushed last (size, compression, metric names; telemetry/client-metrics.ts)
 */
import { connectionsRoute } from './connections.js';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricsSource } from './metrics.js';
import { partitionsRoute } from './partitions.js';
import { requestsRoute } from './requests.js';

export type ObservedBroker = MetricsSource & { readonly clientTelemetry?: { views(): unknown[] } };

export type RouteAnswer = { json: unknown } | { text: string; contentType: string };

/** The answer to GET `path`, or null when it is not one of these routes. */
export function observationRoute(src: ObservedBroker, path: string, query: URLSearchParams): RouteAnswer | null {
  switch (path) {
    case '/requests':
      return { json: requestsRoute(src.observer.requests, query) };
    case '/connections':
      return { json: connectionsRoute(src.observer) };
    case '/partitions':
      return { json: partitionsRoute(src.replicas, query) };
    case '/telemetry':
      return { json: src.clientTelemetry?.views() ?? [] };
    case '/metrics':
      return { text: renderMetrics(src), contentType: PROMETHEUS_CONTENT_TYPE };
    default:
      return null;
  }
}
