/**
 * CreatePartitions (key 37), versions 0-3. Partition counts only grow; assignments, if given, may
 * name only this broker. A topic named twice in one request fails with INVALID_REQUEST, answered
 * once (Kafka's answer holds one result per name).
 */
import { ErrorCode } from '../protocol/errors.js';
import { CreatePartitions, type CreatePartitionsRequest, type CreatePartitionsResponse } from '../protocol/generated/37-create-partitions.js';
import { authorize, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  codec: CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle(req: CreatePartitionsRequest, ctx: RequestContext): CreatePartitionsResponse {
    const b = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results = req.topics.filter((t, i) => req.topics.findIndex((o) => o.name === t.name) === i).map((t) => {
      if ((counts.get(t.name) ?? 0) > 1) {
        return { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create partitions request contains multiple entries for topic ${t.name}.` };
      }
      // Issue 13: ALTER on the topic, before its existence is looked at.
      if (!authorize(ctx, Op.ALTER, Res.TOPIC, t.name)) return { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'The topic authorization is failed.' };
      const topic = b.image.topicsByName.get(t.name);
      if (!topic) return { name: t.name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${t.name}' does not exist.` };
      const outcome = b.controller.createPartitions(topic, t.count, t.assignments?.map((a) => a.brokerIds) ?? null, req.validateOnly);
      if (outcome.errorCode === ErrorCode.NONE && !req.validateOnly) b.log.info(`topic ${t.name} now has ${t.count} partitions`);
      return { name: t.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
    });
    return { throttleTimeMs: 0, results };
  },
};
