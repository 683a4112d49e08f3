/**
 * ShareFetch (key 78), version 1 (Kafka 4.1; v0 was 4.0's early access): a share group member
 * acknowledges what it was given and acquires more records of the partitions this broker leads
 * (KIP-932; share/share-partition-manager.ts keeps the per-partition delivery state).
 *
 * One request:
 *  1. the share session (share/share-sessions.ts): epoch 0 opens one with the request's
 *     partitions, a later epoch adds and forgets partitions, -1 closes it after the
 *     acknowledgements; session errors are top-level, with no partitions;
 *  2. acknowledgements (AcknowledgementBatches) are applied per partition, each answered in
 *     AcknowledgeErrorCode (INVALID_RECORD_STATE: records this member does not hold);
 *  3. every partition of the session is read and its available records acquired for the
 *     member, up to MaxRecords in all and MaxBytes of batches; the answer carries the batches
 *     and the acquired ranges with their delivery counts, and AcquisitionLockTimeoutMs;
 *  4. nothing acquired, nothing to report and MaxWaitMs > 0: the request waits in the
 *     delayed-fetch purgatory until an append to one of its partitions or MaxWaitMs;
 *  5. the answer goes out once the acknowledgements' state is durable at the share coordinator.
 * A full request (epoch 0) answers every partition of the session; a later one only those with
 * records, an error or an acknowledgement outcome, as Kafka's share fetch context does.
 * Authorization: READ on the group (top-level GROUP_AUTHORIZATION_FAILED) and READ on each topic.
 * While the share.version feature is 0 (Kafka 4.1's format default; Sluice formats with 1) it
 * answers UNSUPPORTED_VERSION, as Kafka 4.1 does.
 */
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import { shareGroupsEnabled, SHARE_GROUPS_DISABLED } from '../metadata/features.js';
import { ShareFetch, type ShareFetchRequest, type ShareFetchResponse } from '../protocol/generated/78-share-fetch.js';
import { EMPTY } from '../protocol/wire.js';
import { partitionKey } from '../replica/purgatory.js';
import { SHARE_SESSION_FINAL_EPOCH, type SessionPartition, type ShareSession } from '../share/share-sessions.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import { currentLeader, leaderEndpoints } from './cluster-brokers.js';
import type { BrokerServices } from './context.js';
import { longPoll, type PollRead } from './long-poll.js';
import type { ApiHandler, RequestContext } from './registry.js';
import { applyAcknowledgements, openShareSession, type AckOutcome } from './share-common.js';

type PartitionData = ShareFetchResponse['responses'][number]['partitions'][number];

/** What Java's share consumer asks for when it sends no MaxRecords (v1 always does). */
const DEFAULT_MAX_RECORDS = 500;

const topLevel = (errorCode: number, errorMessage: string | null, lockMs = 0): ShareFetchResponse => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage,
  acquisitionLockTimeoutMs: lockMs,
  responses: [],
  nodeEndpoints: [],
});

interface Read {
  partitions: Array<{ p: SessionPartition; data: PartitionData; topic: string | null }>;
  acquired: number;
  /** Response bytes taken from the connection's budget for the batches read. */
  bytes: number;
}

function emptyPartition(partition: number, errorCode = ErrorCode.NONE): PartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    errorMessage: null,
    acknowledgeErrorCode: ErrorCode.NONE,
    acknowledgeErrorMessage: null,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    records: EMPTY,
    acquiredRecords: [],
  };
}

function readSession(b: BrokerServices, ctx: RequestContext, req: ShareFetchRequest, session: ShareSession, readable: ReadonlySet<string>): Read {
  const granted = ctx.takeResponseBytes(Math.min(Math.max(req.maxBytes, 0), limits.fetchResponseBytesMax));
  let budget = granted;
  let recordsLeft = req.maxRecords > 0 ? req.maxRecords : DEFAULT_MAX_RECORDS;
  let acquired = 0;
  const out: Read['partitions'] = [];
  // Round robin over the session's partitions: MaxRecords may run out before the last of them.
  const all = [...session.partitions.values()];
  const start = all.length === 0 ? 0 : session.rotation++ % all.length;
  for (let i = 0; i < all.length; i++) {
    const p = all[(start + i) % all.length]!;
    const topic = b.image.topicsById.get(p.topicId)?.name ?? null;
    if (topic === null) {
      out.push({ p, topic, data: emptyPartition(p.partition, ErrorCode.UNKNOWN_TOPIC_ID) });
      continue;
    }
    if (!readable.has(topic)) {
      out.push({ p, topic, data: emptyPartition(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED) });
      continue;
    }
    if (budget <= 0 && acquired > 0) {
      out.push({ p, topic, data: emptyPartition(p.partition) });
      continue;
    }
    const r = b.shares.fetch({ groupId: session.groupId, topicId: p.topicId, partition: p.partition }, topic, session.memberId, recordsLeft, budget);
    const data = emptyPartition(p.partition, r.errorCode);
    if (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) data.currentLeader = currentLeader(b, topic, p.partition);
    data.records = r.records;
    data.acquiredRecords = r.acquired.map((a) => ({ firstOffset: a.firstOffset, lastOffset: a.lastOffset, deliveryCount: a.deliveryCount }));
    budget = Math.max(0, budget - r.records.length);
    recordsLeft -= r.count;
    acquired += r.count;
    out.push({ p, topic, data });
    // What is left of the budget goes to the next partitions; one batch always comes (KIP-74).
    if (recordsLeft <= 0) break;
  }
  if (session.rotation >= 0x7fffffff) session.rotation = 0;
  const bytes = granted - budget;
  ctx.returnResponseBytes(granted - bytes);
  return { partitions: out, acquired, bytes };
}

function respond(b: BrokerServices, ctx: RequestContext, lockMs: number, full: boolean, read: Read | null, acks: ReadonlyMap<string, AckOutcome>): ShareFetchResponse {
  const byTopic = new Map<string, PartitionData[]>();
  const add = (topicId: string, data: PartitionData): void => {
    const list = byTopic.get(topicId) ?? [];
    list.push(data);
    byTopic.set(topicId, list);
  };
  const answered = new Set<string>();
  for (const { p, data } of read?.partitions ?? []) {
    const key = `${p.topicId}:${p.partition}`;
    const ack = acks.get(key);
    if (ack) {
      data.acknowledgeErrorCode = ack.errorCode;
      data.acknowledgeErrorMessage = ack.errorMessage;
    }
    if (!full && !ack && data.errorCode === ErrorCode.NONE && data.acquiredRecords.length === 0) continue;
    answered.add(key);
    add(p.topicId, data);
  }
  // Acknowledged partitions that were not read (the last request, or ones forgotten meanwhile).
  for (const [key, ack] of acks) {
    if (answered.has(key)) continue;
    const data = emptyPartition(ack.partition);
    data.acknowledgeErrorCode = ack.errorCode;
    data.acknowledgeErrorMessage = ack.errorMessage;
    if (ack.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && ack.topic !== null) data.currentLeader = currentLeader(b, ack.topic, ack.partition);
    add(ack.topicId, data);
  }
  const leaders = new Set<number>();
  for (const list of byTopic.values()) for (const d of list) if (d.currentLeader.leaderId >= 0) leaders.add(d.currentLeader.leaderId);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    acquisitionLockTimeoutMs: lockMs,
    responses: [...byTopic].map(([topicId, partitions]) => ({ topicId: Buffer.from(topicId, 'base64url'), partitions })),
    nodeEndpoints: leaderEndpoints(b, ctx.session.listenerName, leaders),
  };
}

export const shareFetchHandler: ApiHandler<ShareFetchRequest, ShareFetchResponse> = {
  codec: ShareFetch,
  minVersion: 1,
  maxVersion: 1,
  handle(req: ShareFetchRequest, ctx: RequestContext): ShareFetchResponse | Promise<ShareFetchResponse> {
    const b = ctx.broker;
    if (!shareGroupsEnabled(b.image.features)) return topLevel(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED);
    if (req.groupId === null || req.groupId === '') return topLevel(ErrorCode.INVALID_REQUEST, 'Group id is required.');
    if (req.memberId === null || req.memberId === '') return topLevel(ErrorCode.INVALID_REQUEST, 'Member id is required.');
    if (!authorize(ctx, Op.READ, Res.GROUP, req.groupId)) return topLevel(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
    const groupId = req.groupId;
    const lockMs = b.shares.lockDurationMs(groupId);
    const final = req.shareSessionEpoch === SHARE_SESSION_FINAL_EPOCH;
    const requested = req.topics.flatMap((t) => t.partitions.map((p) => ({ topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partitionIndex, acks: p.acknowledgementBatches })));
    // A new session has nothing to acknowledge yet: Kafka 4.1 refuses the whole request.
    if (req.shareSessionEpoch === 0 && requested.some((p) => p.acks.length > 0)) {
      return topLevel(ErrorCode.INVALID_REQUEST, 'The first request of a share session (epoch 0) cannot acknowledge records.');
    }
    if (final && requested.some((p) => p.acks.length === 0)) {
      return topLevel(ErrorCode.INVALID_REQUEST, 'The last request of a share session (epoch -1) may only acknowledge records.');
    }
    const opened = openShareSession(ctx, {
      groupId,
      memberId: req.memberId,
      epoch: req.shareSessionEpoch,
      add: final ? [] : requested,
      forget: req.forgottenTopicsData.flatMap((t) => t.partitions.map((partition) => ({ topicId: Buffer.from(t.topicId).toString('base64url'), partition }))),
    });
    if ('errorCode' in opened) return topLevel(opened.errorCode, opened.errorMessage);
    const { session, full } = opened;
    const names = new Set<string>();
    for (const p of [...requested, ...session.partitions.values()]) {
      const name = b.image.topicsById.get(p.topicId)?.name;
      if (name) names.add(name);
    }
    const readable = authorizedNames(ctx, Op.READ, Res.TOPIC, [...names]);
    const memberId = req.memberId;
    const go = (): ShareFetchResponse | Promise<ShareFetchResponse> => {
      const { outcomes: acks, durable } = applyAcknowledgements(b, groupId, memberId, requested.filter((p) => p.acks.length > 0), readable);
      const finish = (read: Read | null): ShareFetchResponse | Promise<ShareFetchResponse> => {
        if (durable.length === 0) return respond(b, ctx, lockMs, full, read, acks);
        return Promise.all(durable).then(() => respond(b, ctx, lockMs, full, read, acks));
      };
      if (final) {
        if (b.shares.sessions.close(session)) b.shares.endSession(session);
        return finish(null);
      }
      const first = readSession(b, ctx, req, session, readable);
      const ready = first.acquired > 0 || acks.size > 0 || first.partitions.some((x) => x.data.errorCode !== ErrorCode.NONE);
      if (ready || req.maxWaitMs <= 0 || session.partitions.size === 0) return finish(first);
      const poll = (r: Read): PollRead<Read> => ({ response: r, ready: r.acquired > 0, giveBack: () => ctx.returnResponseBytes(r.bytes) });
      const keys = first.partitions.filter((x) => x.topic !== null).map((x) => partitionKey(x.topic!, x.p.partition));
      const waitMs = Math.min(req.maxWaitMs, limits.fetchMaxWaitMsCap);
      return longPoll(ctx, b.replicas.delayedFetch, keys, waitMs, poll(first), () => poll(readSession(b, ctx, req, session, readable))).then((r) => finish(r ?? first));
    };
    // State of partitions new here may have to come from their share coordinator on another broker.
    const involved = [...requested, ...session.partitions.values()].map((p) => ({ ...p, topic: b.image.topicsById.get(p.topicId)?.name ?? null }));
    const wait = b.shares.prepare(groupId, involved);
    return wait === null ? go() : wait.then(go);
  },
};
