/**
 * ApiVersions (key 18), versions 0-4.
 *
 * The list is computed from the handler registrations of the listener asked (a CONTROLLER
 * listener serves the controller's APIs, the others the clients'). An ApiVersions request at a version we
 * do not serve never reaches this handler: the connection answers it with UNSUPPORTED_VERSION and
 * our range in a v0 body (KIP-511). v3+ carries the client's software name and version; Kafka
 * rejects malformed names with INVALID_REQUEST, which makes librdkafka fall back to v0, so we
 * accept any name.
 *
 * v3+ also carries the cluster's features (KIP-584, metadata/features.ts): the ranges this node
 * supports and the levels finalized in the metadata image, with the image's offset as their
 * epoch (as Kafka reports its image's offset). Java 4.x producers use transactions v2 (KIP-890
 * part 2) when transaction.version is finalized at 2.
 */
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../protocol/generated/18-api-versions.js';
import { apiFinalizedFeatures, apiSupportedFeatures } from '../metadata/features.js';
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
      // Kafka 4 leaves out features whose range starts at 0 below v4: older clients refuse such a
      // range (KAFKA-17011).
      supportedFeatures: apiSupportedFeatures().filter((f) => ctx.apiVersion >= 4 || f.minVersion > 0),
      finalizedFeaturesEpoch: ctx.broker.image.lastOffset,
      finalizedFeatures: apiFinalizedFeatures(ctx.broker.image.features),
      zkMigrationReady: false,
    };
  },
};
