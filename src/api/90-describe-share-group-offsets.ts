/**
 * DescribeShareGroupOffsets (key 90), version 0 (Kafka 4.1): each share-partition's start offset
 * (SPSO: everything below it is acknowledged or archived) for a share group, from the share
 * coordinator of each (share/share-persister.ts, ReadShareGroupStateSummary when another broker
 * is it); what Admin.listShareGroupOffsets and kafka-share-groups.sh --describe show. Sent to the
 * group's coordinator: NOT_COORDINATOR elsewhere; a group that is no share group is
 * GROUP_ID_NOT_FOUND; an id no group has is no error, as Kafka 4.1.1 answers (named partitions
 * answered from their state, which a deleted group's is not any more). Topics null: the partitions the group was ever assigned (Kafka's
 * initialized topics, group/share-group.ts), of topics that still exist. A partition with no state
 * yet answers start offset -1. Authorization: DESCRIBE on the group, and on each
 * topic (TOPIC_AUTHORIZATION_FAILED per partition).
 */
import { ErrorCode } from '../protocol/errors.js';
import {
  DescribeShareGroupOffsets,
  type DescribeShareGroupOffsetsRequest,
  type DescribeShareGroupOffsetsResponse,
} from '../protocol/generated/90-describe-share-group-offsets.js';
import { SHARE_GROUPS_DISABLED, shareGroupsEnabled } from '../metadata/features.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { BrokerServices } from './context.js';
import type { ApiHandler, RequestContext } from './registry.js';

type GroupAnswer = DescribeShareGroupOffsetsResponse['groups'][number];

async function describeGroup(b: BrokerServices, ctx: RequestContext, group: DescribeShareGroupOffsetsRequest['groups'][number]): Promise<GroupAnswer> {
  const failed = (errorCode: number, errorMessage: string | null = null): GroupAnswer => ({ groupId: group.groupId, topics: [], errorCode, errorMessage });
  if (!shareGroupsEnabled(b.image.features)) return failed(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
  if (!authorize(ctx, Op.DESCRIBE, Res.GROUP, group.groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const d = b.groups.share.describe(group.groupId);
  // No group of that id at all (never was, or deleted): no error, as Kafka 4.1.1 answers; the
  // partitions named are answered from their state (none: -1), none when none are named.
  const absent = !('members' in d) && d.errorCode === ErrorCode.GROUP_ID_NOT_FOUND && !b.groups.groups.has(group.groupId);
  if (!('members' in d) && !absent) return failed(d.errorCode, d.errorMessage);
  const initialized = 'members' in d ? d.initialized : new Map<string, { partitions: Set<number> }>();
  // All topics: those whose partitions the group was assigned (its initialized topics) and still exist.
  const wanted =
    group.topics ??
    [...initialized]
      .filter(([topicId]) => b.image.topicsById.has(topicId))
      .map(([topicId, t]) => ({ topicName: b.image.topicsById.get(topicId)!.name, partitions: [...t.partitions].sort((x, y) => x - y) }))
      .sort((x, y) => x.topicName.localeCompare(y.topicName));
  const describable = authorizedNames(ctx, Op.DESCRIBE, Res.TOPIC, wanted.map((t) => t.topicName));
  const topics = await Promise.all(
    wanted.map(async (t) => {
      const topic = b.image.topicsByName.get(t.topicName);
      const partition = (partitionIndex: number, errorCode: number, startOffset = -1n, leaderEpoch = -1) => ({ partitionIndex, startOffset, leaderEpoch, errorCode, errorMessage: null });
      if (!describable.has(t.topicName)) return { topicName: t.topicName, topicId: Buffer.alloc(16), partitions: t.partitions.map((p) => partition(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) };
      if (!topic) return { topicName: t.topicName, topicId: Buffer.alloc(16), partitions: t.partitions.map((p) => partition(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) };
      const known = t.partitions.filter((p) => p >= 0 && p < topic.partitions.length);
      const offsets = await b.shares.startOffsets(group.groupId, known.map((p) => ({ topicId: topic.topicId, partition: p })));
      const byPartition = new Map(known.map((p, i) => [p, offsets[i]!]));
      return {
        topicName: t.topicName,
        topicId: Buffer.from(topic.topicId, 'base64url'),
        partitions: t.partitions.map((p) => {
          const o = byPartition.get(p);
          return o ? partition(p, o.errorCode, o.startOffset, o.leaderEpoch) : partition(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }),
      };
    }),
  );
  return { groupId: group.groupId, topics, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const describeShareGroupOffsetsHandler: ApiHandler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse> = {
  codec: DescribeShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(req: DescribeShareGroupOffsetsRequest, ctx: RequestContext): Promise<DescribeShareGroupOffsetsResponse> {
    const groups = await Promise.all(req.groups.map((g) => describeGroup(ctx.broker, ctx, g)));
    return { throttleTimeMs: 0, groups };
  },
};
