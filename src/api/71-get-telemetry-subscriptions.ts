/**
 * GetTelemetrySubscriptions (key 71), version 0 (KIP-714): which metrics a client should push and
 * how often. Answered by telemetry/client-metrics.ts from the CLIENT_METRICS config resources.
 *
 * Apache Kafka serves keys 71 and 72 only when a telemetry receiver plugin is configured (a
 * metrics reporter implementing ClientTelemetry); without one it does not advertise them and
 * clients push nothing. Sluice always serves them, being its own receiver: what clients push is
 * shown by the inspector and GET /telemetry. Answers are compared with a Kafka that has a receiver
 * (compat-tests/differential/telemetry-differential.test.ts).
 */
import { GetTelemetrySubscriptions, type GetTelemetrySubscriptionsRequest, type GetTelemetrySubscriptionsResponse } from '../protocol/generated/71-get-telemetry-subscriptions.js';
import type { TelemetryClient } from '../telemetry/client-metrics.js';
import type { ApiHandler, RequestContext } from './registry.js';

/** The client as a subscription's `match` sees it. */
export function telemetryClient(ctx: RequestContext): TelemetryClient {
  return {
    clientId: ctx.clientId,
    clientSoftwareName: ctx.session.clientSoftwareName,
    clientSoftwareVersion: ctx.session.clientSoftwareVersion,
    clientAddress: ctx.session.clientAddress,
  };
}

export const getTelemetrySubscriptionsHandler: ApiHandler<GetTelemetrySubscriptionsRequest, GetTelemetrySubscriptionsResponse> = {
  codec: GetTelemetrySubscriptions,
  minVersion: 0,
  maxVersion: 0,
  handle(req: GetTelemetrySubscriptionsRequest, ctx: RequestContext): GetTelemetrySubscriptionsResponse {
    return ctx.broker.clientTelemetry.getSubscriptions(req, telemetryClient(ctx), (fn) => ctx.onClose(fn));
  },
};
