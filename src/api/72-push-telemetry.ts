/**
 * PushTelemetry (key 72), version 0 (KIP-714): a client's metrics, an OTLP MetricsData payload
 * compressed with one of the accepted codecs. Checked and kept as telemetry/client-metrics.ts
 * says (INVALID_REQUEST, THROTTLING_QUOTA_EXCEEDED, UNKNOWN_SUBSCRIPTION_ID,
 * UNSUPPORTED_COMPRESSION_TYPE, TELEMETRY_TOO_LARGE as Kafka answers); why Sluice serves it
 * where a Kafka without a receiver plugin does not: 71-get-telemetry-subscriptions.ts.
 */
import { PushTelemetry, type PushTelemetryRequest, type PushTelemetryResponse } from '../protocol/generated/72-push-telemetry.js';
import { telemetryClient } from './71-get-telemetry-subscriptions.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const pushTelemetryHandler: ApiHandler<PushTelemetryRequest, PushTelemetryResponse> = {
  codec: PushTelemetry,
  minVersion: 0,
  maxVersion: 0,
  handle(req: PushTelemetryRequest, ctx: RequestContext): PushTelemetryResponse {
    return ctx.broker.clientTelemetry.push(req, telemetryClient(ctx), (fn) => ctx.onClose(fn));
  },
};
