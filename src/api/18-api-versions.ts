/**
 * ApiVersions (key 18), versions 0-4.
 *
 * The list is computed from the handler registrations of the listener asked (a CONTROLLER
 * listener serves the controller's APIs, the others the clients'). An ApiVersions request at a version we
 * do not serve never reaches this handler: the connection answers it with UNSUPPORTED_VERSION and
 * our range in a v0 body (KIP-511). v3+ carries the client's software name and version; Kafka
 * rejects malformed names with INVALID_REQUEST, which makes librdkafka fall back to v0, so we
 * accept any name. No finalized features are advertised: clients then assume the oldest
 * behaviour, which is what we implement (no KIP-890 transaction v2).
 */
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../protocol/generated/18-api-versions.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const apiVersionsHandler: ApiHandler<ApiVersionsRequest, ApiVersionsResponse> = {
  codec: ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(_req: ApiVersionsRequest, ctx: RequestContext): ApiVersionsResponse {
    return {
      errorCode: 0,
      apiKeys: ctx.handlers.advertised(),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
};
