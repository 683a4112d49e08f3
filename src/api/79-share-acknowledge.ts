/**
 * ShareAcknowledge (key 79), version 1 (Kafka 4.1; v0 was 4.0's early access): a share group
 * member acknowledges records it acquired (KIP-932) without fetching more, inside its share
 * session: the epoch must be the session's next one (it moves on, as for ShareFetch) or -1, which
 * closes the session after the acknowledgements and releases what the member still holds here.
 * Epoch 0 opens no session: INVALID_SHARE_SESSION_EPOCH. Outcomes are per partition
 * (INVALID_RECORD_STATE for records the member does not hold); the answer waits until the new
 * state is durable at the share coordinator. Authorization: READ on the group and each topic.
 * While the share.version feature is 0 (Kafka 4.1's format default; Sluice formats with 1) it
 * answers UNSUPPORTED_VERSION, as Kafka 4.1 does.
 */
import { ErrorCode } from '../protocol/errors.js';
import { shareGroupsEnabled, SHARE_GROUPS_DISABLED } from '../metadata/features.js';
import { ShareAcknowledge, type ShareAcknowledgeRequest, type ShareAcknowledgeResponse } from '../protocol/generated/79-share-acknowledge.js';
import { SHARE_SESSION_FINAL_EPOCH, SHARE_SESSION_INITIAL_EPOCH } from '../share/share-sessions.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import { currentLeader, leaderEndpoints } from './cluster-brokers.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { applyAcknowledgements, openShareSession, type AckOutcome } from './share-common.js';

const topLevel = (errorCode: number, errorMessage: string | null): ShareAcknowledgeResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, responses: [], nodeEndpoints: [] });

function respond(ctx: RequestContext, outcomes: ReadonlyMap<string, AckOutcome>): ShareAcknowledgeResponse {
  const b = ctx.broker;
  const byTopic = new Map<string, ShareAcknowledgeResponse['responses'][number]['partitions']>();
  const leaders = new Set<number>();
  for (const o of outcomes.values()) {
    const leader = o.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && o.topic !== null ? currentLeader(b, o.topic, o.partition) : { leaderId: -1, leaderEpoch: -1 };
    if (leader.leaderId >= 0) leaders.add(leader.leaderId);
    const list = byTopic.get(o.topicId) ?? [];
    list.push({ partitionIndex: o.partition, errorCode: o.errorCode, errorMessage: o.errorMessage, currentLeader: leader });
    byTopic.set(o.topicId, list);
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    responses: [...byTopic].map(([topicId, partitions]) => ({ topicId: Buffer.from(topicId, 'base64url'), partitions })),
    nodeEndpoints: leaderEndpoints(b, ctx.session.listenerName, leaders),
  };
}

export const shareAcknowledgeHandler: ApiHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponse> = {
  codec: ShareAcknowledge,
  minVersion: 1,
  maxVersion: 1,
  handle(req: ShareAcknowledgeRequest, ctx: RequestContext): ShareAcknowledgeResponse | Promise<ShareAcknowledgeResponse> {
    const b = ctx.broker;
    if (!shareGroupsEnabled(b.image.features)) return topLevel(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    if (req.groupId === null || req.groupId === '') return topLevel(ErrorCode.INVALID_REQUEST, 'Group id is required.');
    if (req.memberId === null || req.memberId === '') return topLevel(ErrorCode.INVALID_REQUEST, 'Member id is required.');
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return topLevel(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
    if (req.shareSessionEpoch === SHARE_SESSION_INITIAL_EPOCH) return topLevel(ErrorCode.INVALID_SHARE_SESSION_EPOCH, 'ShareAcknowledge needs an open share session (epoch 0 opens none).');
    const opened = openShareSession(ctx, { groupId: req.groupId, memberId: req.memberId, epoch: req.shareSessionEpoch, add: [], forget: [] });
    if ('errorCode' in opened) return topLevel(opened.errorCode, opened.errorMessage);
    const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partitionIndex, acks: p.acknowledgementBatches })));
    const names = partitions.map((p) => b.image.topicsById.get(p.topicId)?.name).filter((n): n is string => n !== undefined);
    const readable = authorizedNames(ctx, Op.READ, Res.TOPIC, names);
    const groupId = req.groupId;
    const memberId = req.memberId;
    const go = (): ShareAcknowledgeResponse | Promise<ShareAcknowledgeResponse> => {
      const { outcomes, durable } = applyAcknowledgements(b, groupId, memberId, partitions, readable);
      if (req.shareSessionEpoch === SHARE_SESSION_FINAL_EPOCH && b.shares.sessions.close(opened.session)) b.shares.endSession(opened.session);
      if (durable.length === 0) return respond(ctx, outcomes);
      return Promise.all(durable).then(() => respond(ctx, outcomes));
    };
    // State of partitions new here may have to come from their share coordinator on another broker.
    const wait = b.shares.prepare(groupId, partitions.map((p) => ({ ...p, topic: b.image.topicsById.get(p.topicId)?.name ?? null })));
    return wait === null ? go() : wait.then(go);
  },
};
