/**
 * Metadata (key 3), versions 0-13.
 *
 * Which topics: v0 treats an empty list as "all topics" (kafka-python probes with it); from v1 a
 * null list means all and an empty list means none. From v10 a topic may be named by id alone
 * (an unknown id gets UNKNOWN_TOPIC_ID). Auto-creation: when the request allows it (always before
 * v4) and `auto.create.topics.enable` is on, a missing topic with a legal name is created with
 * `num.partitions` partitions (`__consumer_offsets` and `__transaction_state` with their
 * coordinators' settings; `__cluster_metadata` never: it is answered as unknown). Kafka 4.1
 * answers UNKNOWN_TOPIC_OR_PARTITION until its controller has created the topic; ours creates it
 * synchronously, so the answer already carries its partitions. Without auto-creation an unknown
 * topic with an illegal name gets INVALID_TOPIC_EXCEPTION, as in Kafka. A topic named twice is
 * answered once (Kafka keeps a set).
 * The controller is this node, and it is in the broker list (kafkajs needs that).
 * Version 13 adds a top-level error code (KIP-1102, for REBOOTSTRAP_REQUIRED); like Kafka 4.1's
 * broker, this one always answers it NONE.
 * Authorization (issue 13, Kafka's handleTopicMetadataRequest): topics without DESCRIBE are left
 * out of an all-topics answer and answered TOPIC_AUTHORIZATION_FAILED when named (without looking
 * at whether they exist; by id, with the id); auto-creation needs CREATE on the cluster or on the
 * topic, else TOPIC_AUTHORIZATION_FAILED. Authorized-operations bit sets are the session's.
 */
import { ErrorCode } from '../protocol/errors.js';
import { Metadata, type MetadataRequest, type MetadataResponse } from '../protocol/generated/03-metadata.js';
import { ZERO_UUID } from '../protocol/wire.js';
import type { BrokerServices } from './context.js';
import type { TopicState } from '../metadata/image.js';
import { checkTopicName } from '../metadata/controller.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import { authorize, authorizeCluster, authorizedOperations, Op, Res } from './authorize.js';
import { INTERNAL_TOPICS } from '../metadata/internal-topic.js';
import { METADATA_TOPIC } from '../metadata/metadata-log.js';
import { clusterBrokers, shownControllerId } from './cluster-brokers.js';
import type { ApiHandler, RequestContext } from './registry.js';

type TopicResponse = MetadataResponse['topics'][number];


/**
 * Kafka's KRaftMetadataCache: a replica is offline when its broker is fenced or not registered
 * (this node's own broker counts as live before it has registered: one node, a combined node
 * starting); a partition without a leader says LEADER_NOT_AVAILABLE.
 */
export function topicMetadata(b: BrokerServices, t: TopicState, authorizedOperations: number): TopicResponse {
  const offline = (id: number): boolean => {
    const reg = b.image.brokers.get(id);
    return reg ? reg.fenced : id !== b.nodeId;
  };
  const hidden = (id: number): boolean => b.hiddenBrokers?.has(id) ?? false;
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicIdBytes,
    isInternal: INTERNAL_TOPICS.has(t.name),
    partitions: t.partitions.map((p) => ({
      // A hidden leader (a test hid its broker) is shown as Kafka shows a leader it has no registration
      // for (KRaftMetadataCache: LEADER_NOT_AVAILABLE, leader -1, the epoch kept).
      errorCode: p.leader < 0 || hidden(p.leader) ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: hidden(p.leader) ? -1 : p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.replicas.filter(offline),
    })),
    topicAuthorizedOperations: authorizedOperations,
  };
}

function errorTopic(name: string | null, topicId: Buffer, errorCode: number): TopicResponse {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
}

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  codec: Metadata,
  minVersion: 0,
  maxVersion: 13,
  handle(req: MetadataRequest, ctx: RequestContext): MetadataResponse {
    const b = ctx.broker;
    const ops = (t: TopicState): number => authorizedOperations(ctx, Res.TOPIC, t.name, req.includeTopicAuthorizedOperations);
    const describable = (name: string): boolean => authorize(ctx, Op.DESCRIBE, Res.TOPIC, name);
    const allTopics = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const autoCreate = (ctx.apiVersion < 4 || req.allowAutoTopicCreation) && b.config.autoCreateTopics;

    const topics: TopicResponse[] = [];
    if (allTopics) {
      for (const t of b.image.topicsByName.values()) if (describable(t.name)) topics.push(topicMetadata(b, t, ops(t)));
    } else {
      const seen = new Set<string>();
      for (const rt of req.topics ?? []) {
        // A topic with an id is looked up by id whatever its name says (Kafka's
        // MetadataRequest.topicIds: the Java client sends "" as the name of an id lookup).
        const byId = rt.name === null || !rt.topicId.equals(ZERO_UUID);
        const key = byId ? `id:${rt.topicId.toString('hex')}` : `name:${rt.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (byId || rt.name === null) {
          const t = rt.topicId.equals(ZERO_UUID) ? undefined : b.image.topicsById.get(rt.topicId.toString('base64url'));
          // The response name is nullable only from v12; v10-11 answer an unknown id with ''.
          if (t && !describable(t.name)) topics.push(errorTopic(ctx.apiVersion >= 12 ? null : '', rt.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          else topics.push(t ? topicMetadata(b, t, ops(t)) : errorTopic(ctx.apiVersion >= 12 ? null : '', rt.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
          continue;
        }
        if (!describable(rt.name)) {
          topics.push(errorTopic(rt.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        let t = b.image.topicsByName.get(rt.name);
        if (!t && rt.name === METADATA_TOPIC) {
          // Kafka's auto-creation asks the controller, which refuses the name; the client sees
          // an unknown topic (a producer waits for it until its own timeout).
          topics.push(errorTopic(rt.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          continue;
        }
        if (!t && autoCreate) {
          if (!authorizeCluster(ctx, Op.CREATE) && !authorize(ctx, Op.CREATE, Res.TOPIC, rt.name)) {
            topics.push(errorTopic(rt.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          if (checkTopicName(rt.name) !== null) {
            topics.push(errorTopic(rt.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          const created = b.controller.createTopic(
            { name: rt.name, numPartitions: -1, replicationFactor: -1, assignments: null, configs: new Map() },
            false,
          );
          if (created.errorCode !== ErrorCode.NONE) {
            // UNKNOWN_TOPIC_OR_PARTITION: a broker-only node asked its controller (forwarding.ts);
            // the client retries until the topic reaches this node's metadata.
            if (created.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) b.log.warn(`auto-creating topic ${rt.name} failed: ${created.errorMessage}`);
            topics.push(errorTopic(rt.name, ZERO_UUID, created.errorCode));
            continue;
          }
          b.log.info(`auto-created topic ${rt.name} with ${created.numPartitions} partition(s)`);
          t = created.topic;
        }
        const unknownCode = checkTopicName(rt.name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
        topics.push(t ? topicMetadata(b, t, ops(t)) : errorTopic(rt.name, ZERO_UUID, unknownCode));
      }
    }
    // Fenced brokers are left out, as Kafka's metadata cache leaves them out.
    const brokers = clusterBrokers(b, ctx.session.listenerName)
      .filter((x) => !x.fenced)
      .map((x) => ({ nodeId: x.nodeId, host: x.host, port: x.port, rack: x.rack }));
    return {
      throttleTimeMs: 0,
      brokers,
      clusterId: b.clusterId,
      controllerId: shownControllerId(b, brokers),
      topics,
      // Only v8-10 carry it (KIP-430; v11 moved it to DescribeCluster); the codec drops it elsewhere.
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations && ctx.apiVersion >= 8 && ctx.apiVersion <= 10
        ? (authorizeCluster(ctx, Op.DESCRIBE) ? authorizedOperations(ctx, Res.CLUSTER, 'kafka-cluster') : 0)
        : OPERATIONS_NOT_REQUESTED,
      errorCode: ErrorCode.NONE,
    };
  },
};
