/**
 * CreateTopics (key 19), versions 0-7.
 *
 * numPartitions and replicationFactor of -1 take the broker defaults (KIP-464). Manual
 * assignments may name only this broker. A replication factor above 1 is refused with Kafka's
 * INVALID_REPLICATION_FACTOR message. Configs are checked like Kafka's (unknown name or bad value:
 * INVALID_CONFIG). A name that appears twice in one request fails for every entry with that name
 * (INVALID_REQUEST), answered once, as Kafka keys its answer by name. From v5 the response carries the topic's resulting configs with their
 * sources — always an array, never null (the Java admin client needs that).
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.js';
import { CreateTopics, type CreateTopicsRequest, type CreateTopicsResponse } from '../protocol/generated/19-create-topics.js';
import { ZERO_UUID } from '../protocol/wire.js';
import { describeTopicConfigs } from './32-describe-configs.js';
import { authorize, authorizeCluster, authorizedNames, Op, Res } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  codec: CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle(req: CreateTopicsRequest, ctx: RequestContext): CreateTopicsResponse {
    const b = ctx.broker;
    // Issue 13: CREATE on the cluster or on each topic; configs shown only with DESCRIBE_CONFIGS.
    const creatable = authorizeCluster(ctx, Op.CREATE) ? null : authorizedNames(ctx, Op.CREATE, Res.TOPIC, req.topics.map((t) => t.name));
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics = req.topics.filter((t, i) => req.topics.findIndex((o) => o.name === t.name) === i).map((t): TopicResult => {
      const base = { name: t.name, topicId: ZERO_UUID, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] };
      if ((counts.get(t.name) ?? 0) > 1) {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request contains multiple entries for topic ${t.name}.` };
      }
      if (creatable !== null && !creatable.has(t.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.', topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      const configs = new Map<string, string | null>(t.configs.map((c) => [c.name, c.value]));
      const sorted = [...t.assignments].sort((x, y) => x.partitionIndex - y.partitionIndex);
      // As Kafka's controller: manual assignments name partitions 0..n-1, each once.
      const gap = sorted.findIndex((a, i) => a.partitionIndex !== i);
      if (gap >= 0) {
        return { ...base, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Manual partition assignments must name partitions 0 to ${sorted.length - 1} once each; partition ${gap} is missing or repeated.` };
      }
      const assignments = sorted.length > 0 ? sorted.map((a) => a.brokerIds) : null;
      if (assignments && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        };
      }
      const created = b.controller.createTopic(
        { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments, configs },
        req.validateOnly,
      );
      if (created.errorCode !== ErrorCode.NONE) return { ...base, errorCode: created.errorCode, errorMessage: created.errorMessage };
      if (!req.validateOnly) b.log.info(`created topic ${t.name} with ${created.numPartitions} partition(s)`);
      const overrides = new Map<string, string>();
      for (const [k, v] of configs) if (v !== null) overrides.set(k, v);
      return {
        ...base,
        // validate_only still answers an id (v7+), as Kafka does: one that was never given out.
        topicId: created.topic?.topicIdBytes ?? (req.validateOnly ? randomBytes(16) : ZERO_UUID),
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: created.numPartitions,
        replicationFactor: created.replicationFactor,
        topicConfigErrorCode: authorize(ctx, Op.DESCRIBE_CONFIGS, Res.TOPIC, t.name) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        configs: ctx.apiVersion >= 5 && authorize(ctx, Op.DESCRIBE_CONFIGS, Res.TOPIC, t.name)
          ? describeTopicConfigs(b, overrides, null).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive }))
          : [],
      };
    });
    return { throttleTimeMs: 0, topics };
  },
};
