/**
 * AlterShareGroupOffsets (key 91), version 0 (Kafka 4.1; Admin.alterShareGroupOffsets,
 * kafka-share-groups.sh --reset-offsets): new start offsets for an empty share group's
 * share-partitions. Each named partition's state starts at the given offset with nothing in flight
 * (-1: no state, so the next delivery starts where share.auto.offset.reset says), written at its
 * share coordinator (InitializeShareGroupState, share/share-persister.ts) at a new state epoch
 * (Kafka: the group epoch), and the partitions join the group's initialized topics (what
 * DescribeShareGroupOffsets lists). The offset is not checked against the log, as Kafka does not:
 * the partition leader moves a start below the log start up to it.
 *
 * Answers as Kafka's KafkaApis and group coordinator: share.version 0: UNSUPPORTED_VERSION; READ on
 * the group (GROUP_AUTHORIZATION_FAILED); NOT_COORDINATOR, GROUP_ID_NOT_FOUND ("Group <id> not
 * found." / "Group <id> is not a share group.") and NON_EMPTY_GROUP ("The group is not empty.") as
 * the top-level error, as Kafka after KAFKA-19440 does (4.1.1 dropped them and answered NONE);
 * per topic READ (TOPIC_AUTHORIZATION_FAILED), an unknown topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION, both per partition with Kafka's messages.
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  AlterShareGroupOffsets,
  type AlterShareGroupOffsetsRequest,
  type AlterShareGroupOffsetsResponse,
} from '../protocol/generated/91-alter-share-group-offsets.js';
import { Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { NO_TOPIC_ID, NOT_HOSTED_MESSAGE, offsetsTarget, TOPIC_AUTHORIZATION_FAILED_MESSAGE } from './share-offsets-common.js';

type TopicAnswer = AlterShareGroupOffsetsResponse['responses'][number];

export const alterShareGroupOffsetsHandler: ApiHandler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse> = {
  codec: AlterShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(req: AlterShareGroupOffsetsRequest, ctx: RequestContext): Promise<AlterShareGroupOffsetsResponse> {
    const b = ctx.broker;
    const target = offsetsTarget(ctx, req.groupId, Op.READ, req.topics.map((t) => t.topicName));
    if ('errorCode' in target) return { throttleTimeMs: 0, errorCode: target.errorCode, errorMessage: target.errorMessage, responses: [] };
    const { group: g, readable } = target;
    const responses: TopicAnswer[] = [];
    const changes: Array<{ topicId: string; partition: number; startOffset: bigint; answer: { errorCode: number; errorMessage: string | null } }> = [];
    const add: Array<{ topicId: string; name: string; partitions: number[] }> = [];
    for (const t of req.topics) {
      const topic = b.image.topicsByName.get(t.topicName);
      const each = (errorCode: number, errorMessage: string | null) => t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage }));
      if (!readable.has(t.topicName)) {
        responses.push({ topicName: t.topicName, topicId: NO_TOPIC_ID, partitions: each(ErrorCode.TOPIC_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED_MESSAGE) });
        continue;
      }
      if (!topic) {
        responses.push({ topicName: t.topicName, topicId: NO_TOPIC_ID, partitions: each(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, NOT_HOSTED_MESSAGE) });
        continue;
      }
      const valid: number[] = [];
      const partitions = t.partitions.map((p) => {
        const answer = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null as string | null };
        if (p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length) {
          answer.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          answer.errorMessage = NOT_HOSTED_MESSAGE;
        } else {
          valid.push(p.partitionIndex);
          changes.push({ topicId: topic.topicId, partition: p.partitionIndex, startOffset: p.startOffset, answer });
        }
        return answer;
      });
      if (valid.length > 0) add.push({ topicId: topic.topicId, name: topic.name, partitions: valid });
      responses.push({ topicName: t.topicName, topicId: Buffer.from(topic.topicId, 'base64url'), partitions });
    }
    if (changes.length > 0) {
      if (!b.groups.share.changeInitialized(g, { add })) {
        for (const c of changes) c.answer.errorCode = ErrorCode.NOT_COORDINATOR;
      } else {
        const codes = await b.shares.initializeState(req.groupId, g.groupEpoch, changes);
        codes.forEach((code, i) => (changes[i]!.answer.errorCode = code));
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
};
