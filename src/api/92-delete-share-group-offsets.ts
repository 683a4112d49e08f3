/**
 * DeleteShareGroupOffsets (key 92), version 0 (Kafka 4.1; Admin.deleteShareGroupOffsets,
 * kafka-share-groups.sh --delete-offsets): an empty share group forgets where it is in topics. The
 * state of each of the topic's partitions the group has state for (its initialized partitions) is
 * deleted at its share coordinator (DeleteShareGroupState) and the topic leaves the group's
 * initialized topics; the next member starts there where share.auto.offset.reset says.
 *
 * Answers as Kafka's KafkaApis and group coordinator: share.version 0: UNSUPPORTED_VERSION; DELETE
 * on the group (GROUP_AUTHORIZATION_FAILED); NOT_COORDINATOR, GROUP_ID_NOT_FOUND and
 * NON_EMPTY_GROUP as the top-level error; per topic READ (TOPIC_AUTHORIZATION_FAILED), an unknown
 * topic or one the group has no state for UNKNOWN_TOPIC_OR_PARTITION, with Kafka's messages.
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  DeleteShareGroupOffsets,
  type DeleteShareGroupOffsetsRequest,
  type DeleteShareGroupOffsetsResponse,
} from '../protocol/generated/92-delete-share-group-offsets.js';
import { Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { NO_TOPIC_ID, NOT_HOSTED_MESSAGE, offsetsTarget, TOPIC_AUTHORIZATION_FAILED_MESSAGE } from './share-offsets-common.js';

type TopicAnswer = DeleteShareGroupOffsetsResponse['responses'][number];

export const deleteShareGroupOffsetsHandler: ApiHandler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse> = {
  codec: DeleteShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(req: DeleteShareGroupOffsetsRequest, ctx: RequestContext): Promise<DeleteShareGroupOffsetsResponse> {
    const b = ctx.broker;
    const target = offsetsTarget(ctx, req.groupId, Op.DELETE, req.topics.map((t) => t.topicName));
    if ('errorCode' in target) return { throttleTimeMs: 0, errorCode: target.errorCode, errorMessage: target.errorMessage, responses: [] };
    const { group: g, readable } = target;
    const responses = await Promise.all(
      req.topics.map(async (t): Promise<TopicAnswer> => {
        const answer = (errorCode: number, errorMessage: string | null, topicId = NO_TOPIC_ID): TopicAnswer => ({ topicName: t.topicName, topicId, errorCode, errorMessage });
        if (!readable.has(t.topicName)) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED_MESSAGE);
        const topic = b.image.topicsByName.get(t.topicName);
        if (!topic) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, NOT_HOSTED_MESSAGE);
        const initialized = g.initialized.get(topic.topicId);
        // No id with this answer, as Kafka 4.1.1 answers it.
        if (!initialized) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'There is no offset information to delete.');
        const topicId = Buffer.from(topic.topicId, 'base64url');
        const codes = await b.shares.deleteState(req.groupId, [...initialized.partitions].map((partition) => ({ topicId: topic.topicId, partition })));
        const errorCode = codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE;
        if (errorCode === ErrorCode.NONE && !b.groups.share.changeInitialized(g, { removeTopicIds: [topic.topicId] })) return answer(ErrorCode.NOT_COORDINATOR, null, topicId);
        return answer(errorCode, null, topicId);
      }),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
};
