/**
 * DeleteTopics (key 20), versions 0-6. v6 names topics by name or id. Deleting a topic writes a
 * RemoveTopic record (a v6 entry with both a name and an id, or neither, gets INVALID_REQUEST); its partition directories are then renamed aside and removed. With
 * delete.topic.enable=false every deletion fails with TOPIC_DELETION_DISABLED.
 */
import { ErrorCode } from '../protocol/errors.js';
import { DeleteTopics, type DeleteTopicsRequest, type DeleteTopicsResponse } from '../protocol/generated/20-delete-topics.js';
import { ZERO_UUID } from '../protocol/wire.js';
import { authorize, authorizeCluster, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

type Result = DeleteTopicsResponse['responses'][number];

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  codec: DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle(req: DeleteTopicsRequest, ctx: RequestContext): DeleteTopicsResponse {
    const b = ctx.broker;
    const clusterDelete = authorizeCluster(ctx, Op.DELETE);
    const describable = (name: string): boolean => clusterDelete || authorize(ctx, Op.DESCRIBE, Res.TOPIC, name);
    const deletable = (name: string): boolean => clusterDelete || authorize(ctx, Op.DELETE, Res.TOPIC, name);
    const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses = wanted.map((w): Result => {
      // v6, as Kafka's controller checks it: a name or an id, never both, never neither.
      if (w.name === null && w.topicId.equals(ZERO_UUID)) {
        return { name: null, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither a topic name nor a topic id was given.' };
      }
      if (w.name !== null && !w.topicId.equals(ZERO_UUID)) {
        return { name: w.name, topicId: w.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'A topic may be named by name or by id, not both.' };
      }
      const byId = w.name === null;
      const t = byId ? b.image.topicsById.get(w.topicId.toString('base64url')) : b.image.topicsByName.get(w.name!);
      const base = { name: t?.name ?? w.name ?? (ctx.apiVersion >= 6 ? null : ''), topicId: t?.topicIdBytes ?? w.topicId };
      // Issue 13, as Kafka's controller checks it (ControllerApis.deleteTopics): DELETE on the
      // cluster allows every topic; else a topic named must be DESCRIBE-able (TOPIC_AUTHORIZATION_FAILED
      // before its existence is told) and then DELETE-able; by id, one the client may not DESCRIBE
      // is answered without its name.
      if (t && !deletable(t.name)) {
        return { ...base, name: byId && !describable(t.name) ? null : base.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.' };
      }
      if (!t && !byId && !describable(w.name!)) {
        return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.' };
      }
      if (!t) {
        return byId
          ? { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' }
          : { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
      }
      if (!b.config.deleteTopicEnable) {
        return { ...base, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled (delete.topic.enable=false).' };
      }
      const deleted = b.controller.deleteTopic(t);
      if (deleted.errorCode !== ErrorCode.NONE) return { ...base, ...deleted };
      b.log.info(`deleted topic ${t.name}`);
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    return { throttleTimeMs: 0, responses };
  },
};
