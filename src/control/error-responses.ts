/**
 * The answer a request gets when a fault gives it an error code: every partition (or topic, or the
 * request as a whole) the request names carries that code, with the values Kafka sends beside an
 * error (offsets -1, no records). One builder per API; faults with an error code are refused for
 * APIs without one here (delay, disconnect and no-answer faults work for every API).
 */
import { ZERO_UUID } from '../protocol/wire.js';
import type { FetchRequest, FetchResponse } from '../protocol/generated/01-fetch.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/generated/10-find-coordinator.js';
import type { HeartbeatResponse } from '../protocol/generated/12-heartbeat.js';
import type { InitProducerIdResponse } from '../protocol/generated/22-init-producer-id.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/generated/02-list-offsets.js';
import type { MetadataRequest, MetadataResponse } from '../protocol/generated/03-metadata.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/generated/00-produce.js';

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
]);

/** API keys whose requests can be answered with an injected error code. */
export const ERROR_RESPONSE_APIS: ReadonlySet<number> = new Set(BUILDERS.keys());

export function errorResponseFor(apiKey: number, request: unknown, errorCode: number): unknown {
  const build = BUILDERS.get(apiKey);
  if (!build) throw new Error(`no error response for API key ${apiKey}`);
  return build(request as never, errorCode);
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
