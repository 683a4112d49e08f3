/**
 * UpdateFeatures (key 57), versions 0-2 (KIP-584; `Admin.updateFeatures`, `kafka-features.sh
 * upgrade|downgrade|disable`): sets finalized feature levels, checked and written by the
 * controller (metadata/controller.ts `updateFeatures`, Kafka's FeatureControlManager: the levels
 * every broker supports, an upgrade type that allows the direction, the first refusal refusing
 * all with INVALID_UPDATE_VERSION). A broker-only node forwards it to its controller, as Kafka's
 * brokers do. As Kafka's controller, v0's AllowDowngrade is not read: a v0 request only upgrades.
 * Answered: on success, v0-1 list every feature asked with no error (its message "NONE", as
 * Kafka's controller writes the error's name there), v2 nothing more; on a refusal, only the
 * top-level error. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 * A feature's new level takes effect as brokers apply the record: ApiVersions reports it, and
 * share.version 0 turns the share APIs off.
 */
import { UpdateFeatures, type UpdateFeaturesRequest, type UpdateFeaturesResponse } from '../protocol/generated/57-update-features.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const updateFeaturesHandler: ApiHandler<UpdateFeaturesRequest, UpdateFeaturesResponse> = {
  codec: UpdateFeatures,
  minVersion: 0,
  maxVersion: 2,
  handle(req: UpdateFeaturesRequest, ctx: RequestContext): UpdateFeaturesResponse {
    if (!authorizeCluster(ctx, Op.ALTER)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', results: [] };
    }
    const outcome = ctx.broker.controller.updateFeatures(req.featureUpdates, req.validateOnly);
    const results =
      outcome.errorCode === ErrorCode.NONE && ctx.apiVersion <= 1 ? req.featureUpdates.map((u) => ({ feature: u.feature, errorCode: ErrorCode.NONE, errorMessage: 'NONE' })) : [];
    return { throttleTimeMs: 0, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, results };
  },
};
