/**
 * The answer a request gets when a fault gives it an error code: every partition (or topic, group,
 * resource, or the request as a whole) the request names carries that code, with the values Kafka
 * sends beside an error (offsets -1, no records). APIs whose answer is one top-level error code
 * (JoinGroup, SyncGroup, EndTxn, ...) use the codec's default response with that code; APIs whose
 * answer lists what the request named have a builder each. Faults with an error code are refused
 * for APIs with neither (delay, disconnect, hold and no-answer faults work for every API).
 *
 * Also here: splitting a Produce or ListOffsets between the partitions a fault fails and the rest
 * the handler serves, and merging the two answers; and laying a test's fields over an answer.
 */
import { ZERO_UUID } from '../protocol/wire.js';
import type { FetchRequest, FetchResponse } from '../protocol/generated/01-fetch.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/generated/10-find-coordinator.js';
import type { HeartbeatResponse } from '../protocol/generated/12-heartbeat.js';
import type { InitProducerIdResponse } from '../protocol/generated/22-init-producer-id.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/generated/02-list-offsets.js';
import type { MetadataRequest, MetadataResponse } from '../protocol/generated/03-metadata.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/generated/00-produce.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/generated/08-offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/generated/09-offset-fetch.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/generated/13-leave-group.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/generated/15-describe-groups.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/generated/19-create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/generated/20-delete-topics.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/generated/24-add-partitions-to-txn.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/generated/28-txn-offset-commit.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/generated/32-describe-configs.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/generated/37-create-partitions.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/generated/42-delete-groups.js';
import { apiCodecs } from '../protocol/generated/index.js';

type Builder = (request: never, errorCode: number) => unknown;

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

const BUILDERS = new Map<number, Builder>([
  [
    0,
    ((req: ProduceRequest, errorCode: number): ProduceResponse => ({
      throttleTimeMs: 0,
      nodeEndpoints: [],
      responses: req.topicData.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: NO_LEADER })),
      })),
    })) as Builder,
  ],
  [
    1,
    ((req: FetchRequest, errorCode: number): FetchResponse => ({
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      nodeEndpoints: [],
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          errorCode,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          divergingEpoch: { epoch: -1, endOffset: -1n },
          currentLeader: NO_LEADER,
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: null,
        })),
      })),
    })) as Builder,
  ],
  [
    2,
    ((req: ListOffsetsRequest, errorCode: number): ListOffsetsResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 })) })),
    })) as Builder,
  ],
  [
    3,
    ((req: MetadataRequest, errorCode: number): MetadataResponse => ({
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: -1,
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
      topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId ?? ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 })),
    })) as Builder,
  ],
  [
    10,
    ((req: FindCoordinatorRequest, errorCode: number): FindCoordinatorResponse => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
    })) as Builder,
  ],
  [12, ((_req: unknown, errorCode: number): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode })) as Builder],
  [
    22,
    ((_req: unknown, errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1, ongoingTxnProducerId: -1n, ongoingTxnProducerEpoch: -1 })) as Builder,
  ],
  [
    8,
    ((req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    })) as Builder,
  ],
  [
    9,
    ((req: OffsetFetchRequest, errorCode: number): OffsetFetchResponse => {
      const partition = (partitionIndex: number) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: null, errorCode });
      // v0-7 name one group (a top-level error from v2); v8+ a list of groups, each with its error.
      return {
        throttleTimeMs: 0,
        errorCode,
        topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map(partition) })),
        groups: req.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: (g.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitionIndexes.map(partition) })) })),
      };
    }) as Builder,
  ],
  [
    13,
    ((req: LeaveGroupRequest, errorCode: number): LeaveGroupResponse => ({
      throttleTimeMs: 0,
      errorCode,
      members: req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })),
    })) as Builder,
  ],
  [
    15,
    ((req: DescribeGroupsRequest, errorCode: number): DescribeGroupsResponse => ({
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })),
    })) as Builder,
  ],
  [
    19,
    ((req: CreateTopicsRequest, errorCode: number): CreateTopicsResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, topicId: ZERO_UUID, errorCode, errorMessage: null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null })),
    })) as Builder,
  ],
  [
    20,
    ((req: DeleteTopicsRequest, errorCode: number): DeleteTopicsResponse => ({
      throttleTimeMs: 0,
      // v0-5 name topics in topicNames, v6+ in topics (by name or id).
      responses: [...req.topicNames.map((name) => ({ name, topicId: ZERO_UUID })), ...req.topics].map((t) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage: null })),
    })) as Builder,
  ],
  [
    24,
    ((req: AddPartitionsToTxnRequest, errorCode: number): AddPartitionsToTxnResponse => {
      const topicResults = (topics: AddPartitionsToTxnRequest['v3AndBelowTopics']) =>
        topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorCode })) }));
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        resultsByTransaction: req.transactions.map((x) => ({ transactionalId: x.transactionalId, topicResults: topicResults(x.topics) })),
        resultsByTopicV3AndBelow: topicResults(req.v3AndBelowTopics),
      };
    }) as Builder,
  ],
  [
    28,
    ((req: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    })) as Builder,
  ],
  [
    32,
    ((req: DescribeConfigsRequest, errorCode: number): DescribeConfigsResponse => ({
      throttleTimeMs: 0,
      results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    })) as Builder,
  ],
  [
    37,
    ((req: CreatePartitionsRequest, errorCode: number): CreatePartitionsResponse => ({
      throttleTimeMs: 0,
      results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })),
    })) as Builder,
  ],
  [42, ((req: DeleteGroupsRequest, errorCode: number): DeleteGroupsResponse => ({ throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) })) as Builder],
]);

/**
 * APIs whose answer is one top-level error code beside values a client ignores on an error: the
 * codec's default response carries it (JoinGroup 11, SyncGroup 14, ListGroups 16,
 * AddOffsetsToTxn 25, EndTxn 26, DescribeCluster 60).
 */
const TOP_LEVEL_ERROR_APIS: readonly number[] = [11, 14, 16, 25, 26, 60];
for (const apiKey of TOP_LEVEL_ERROR_APIS) {
  const codec = apiCodecs.get(apiKey)!;
  BUILDERS.set(apiKey, ((_req: unknown, errorCode: number) => ({ ...(codec.defaultResponse() as object), errorCode })) as Builder);
}

/** API keys whose requests can be answered with an injected error code. */
export const ERROR_RESPONSE_APIS: ReadonlySet<number> = new Set(BUILDERS.keys());

export function errorResponseFor(apiKey: number, request: unknown, errorCode: number): unknown {
  const build = BUILDERS.get(apiKey);
  if (!build) throw new Error(`no error response for API key ${apiKey}`);
  return build(request as never, errorCode);
}

/**
 * APIs a fault may fail for chosen partitions while the handler serves the rest: Produce and
 * ListOffsets are split here (`requestPart`, `mergeResponses`); Fetch is not, its handler applies
 * the error (HANDLER_PARTITION_ERROR_APIS).
 */
export const PARTITION_ERROR_APIS: ReadonlySet<number> = new Set([0, 1, 2]);

/**
 * APIs whose handler applies a chosen-partition error itself (RequestContext.partitionFault):
 * Fetch, because a fetch session decides which partitions a request reads (an incremental fetch
 * names only what changed), and the error must show in the session's answer.
 */
export const HANDLER_PARTITION_ERROR_APIS: ReadonlySet<number> = new Set([1]);

type Pick = (tp: { topic: string; partition: number }) => boolean;

/**
 * A Produce request or answer of v13+ names topics by id only (the name is left empty): the same
 * message with the names filled in from `nameOf`, so the topic matchers, the split and the merge
 * of chosen-partition faults see them. Names are not on the wire from v13: the answer sent is the
 * same. Anything else is returned as it is.
 */
export function withProduceTopicNames(apiKey: number, message: unknown, nameOf: (topicId: Buffer) => string | undefined): unknown {
  if (apiKey !== 0 || message === null || typeof message !== 'object') return message;
  const name = <T extends { name: string; topicId: Buffer }>(t: T): T => (t.name === '' && t.topicId !== undefined ? { ...t, name: nameOf(t.topicId) ?? '' } : t);
  if ('topicData' in message) {
    const req = message as ProduceRequest;
    return req.topicData.some((t) => t.name === '') ? { ...req, topicData: req.topicData.map(name) } : req;
  }
  if ('responses' in message) {
    const res = message as ProduceResponse;
    return res.responses.some((t) => t.name === '') ? { ...res, responses: res.responses.map(name) } : res;
  }
  return message;
}

/**
 * A Produce or ListOffsets cut to the partitions `keep` picks (topics left empty dropped); null
 * when none is left.
 */
export function requestPart(apiKey: number, request: unknown, keep: Pick): unknown {
  if (apiKey === 0) {
    const req = request as ProduceRequest;
    const topicData = req.topicData.map((t) => ({ ...t, partitionData: t.partitionData.filter((p) => keep({ topic: t.name, partition: p.index })) })).filter((t) => t.partitionData.length > 0);
    return topicData.length > 0 ? { ...req, topicData } : null;
  }
  if (apiKey === 2) {
    const req = request as ListOffsetsRequest;
    const topics = req.topics.map((t) => ({ ...t, partitions: t.partitions.filter((p) => keep({ topic: t.name, partition: p.partitionIndex })) })).filter((t) => t.partitions.length > 0);
    return topics.length > 0 ? { ...req, topics } : null;
  }
  throw new Error(`API key ${apiKey} is not split by partition`);
}

/** An answer to a Produce, Fetch or ListOffsets cut to the partitions `keep` picks. */
export function responsePart(apiKey: number, response: unknown, keep: Pick): unknown {
  if (apiKey === 0) {
    const res = response as ProduceResponse;
    return { ...res, responses: res.responses.map((t) => ({ ...t, partitionResponses: t.partitionResponses.filter((p) => keep({ topic: t.name, partition: p.index })) })).filter((t) => t.partitionResponses.length > 0) };
  }
  if (apiKey === 2) {
    const res = response as ListOffsetsResponse;
    return { ...res, topics: res.topics.map((t) => ({ ...t, partitions: t.partitions.filter((p) => keep({ topic: t.name, partition: p.partitionIndex })) })).filter((t) => t.partitions.length > 0) };
  }
  throw new Error(`API key ${apiKey} is not split by partition`);
}

/** One answer from the answers to two parts of a Produce or ListOffsets (topics of the same name joined). */
export function mergeResponses(apiKey: number, a: unknown, b: unknown): unknown {
  if (apiKey === 0) {
    const x = a as ProduceResponse;
    const y = b as ProduceResponse;
    return { ...x, responses: joinTopics(x.responses, y.responses, (t) => t.name, (t) => t.partitionResponses, (t, ps) => ({ ...t, partitionResponses: ps })) };
  }
  if (apiKey === 2) {
    const x = a as ListOffsetsResponse;
    const y = b as ListOffsetsResponse;
    return { ...x, topics: joinTopics(x.topics, y.topics, (t) => t.name, (t) => t.partitions, (t, ps) => ({ ...t, partitions: ps })) };
  }
  throw new Error(`API key ${apiKey} is not split by partition`);
}

function joinTopics<T, P>(a: readonly T[], b: readonly T[], name: (t: T) => string, parts: (t: T) => readonly P[], withParts: (t: T, ps: P[]) => T): T[] {
  const out = [...a];
  for (const t of b) {
    const i = out.findIndex((o) => name(o) === name(t));
    if (i < 0) out.push(t);
    else out[i] = withParts(out[i]!, [...parts(out[i]!), ...parts(t)]);
  }
  return out;
}

/**
 * A response of the test's making over HTTP: its fields laid over the API's error answer with
 * error code 0 (so everything the request names is there). A field the answer has is converted to
 * its type (int64 from a number or string, bytes from base64); nested objects are laid over field
 * by field; an array is taken as given, its objects laid over the answer's first element when it
 * has one. A field the answer lacks is refused: a typo must not pass silently.
 */
export function overlayResponse(apiKey: number, request: unknown, overlay: Record<string, unknown>): unknown {
  return layOver(errorResponseFor(apiKey, request, 0), overlay, 'response');
}

/** Why `overlay` cannot be laid over the API's answer (checked against an empty request), or null. */
export function overlayProblem(apiKey: number, overlay: Record<string, unknown>): string | null {
  try {
    overlayResponse(apiKey, apiCodecs.get(apiKey)!.defaultRequest(), overlay);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function layOver(base: unknown, value: unknown, path: string): unknown {
  if (typeof base === 'bigint') {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' || typeof value === 'string') return BigInt(value);
    throw new TypeError(`${path} is an int64: give a number or a string`);
  }
  if (Buffer.isBuffer(base)) {
    if (Buffer.isBuffer(value)) return value;
    if (typeof value === 'string') return Buffer.from(value, 'base64');
    throw new TypeError(`${path} is bytes: give base64`);
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(value)) throw new TypeError(`${path} is an array`);
    const template: unknown = base[0];
    return value.map((v, i) => (template !== undefined && typeof v === 'object' && v !== null && !Array.isArray(v) ? layOver(template, v, `${path}[${i}]`) : v));
  }
  if (typeof base === 'object' && base !== null && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(value)) {
      if (!(k in out)) throw new TypeError(`${path} has no field "${k}" (fields: ${Object.keys(out).join(', ')})`);
      out[k] = layOver(out[k], v, `${path}.${k}`);
    }
    return out;
  }
  return value;
}

/** API keys whose requests `topicsOf` can read, so a fault may match their topics and partitions. */
export const TOPIC_MATCH_APIS: ReadonlySet<number> = new Set([0, 1, 2, 3]);

/** The topic-partitions a request names (for the topic and partition matchers); [] when it names none. */
export function topicsOf(apiKey: number, request: unknown): Array<{ topic: string; partition: number }> {
  switch (apiKey) {
    case 0:
      return (request as ProduceRequest).topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index })));
    case 1:
      return (request as FetchRequest).topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition })));
    case 2:
      return (request as ListOffsetsRequest).topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    case 3:
      return ((request as MetadataRequest).topics ?? []).map((t) => ({ topic: t.name ?? '', partition: -1 }));
    default:
      return [];
  }
}
