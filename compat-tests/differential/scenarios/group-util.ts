/**
 * Helpers the group and transaction scenarios share: topics, coordinator lookups that wait for the
 * coordinator to load (Kafka answers COORDINATOR_NOT_AVAILABLE until its internal topic exists, a
 * timing the scenarios must not compare), the consumer protocol's subscription and assignment
 * bytes, and a JoinGroup that follows MEMBER_ID_REQUIRED the way every client does.
 */
import type { Target } from '../framework.js';
import type { RawClient } from '../../raw-client.js';
import { CreateTopics, DescribeGroups, Metadata, DescribeTransactions, FindCoordinator, JoinGroup, type JoinGroupRequest, type JoinGroupResponse } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * CreateTopics v5, then Metadata until every partition has a leader (Kafka answers
 * NOT_LEADER_OR_FOLLOWER for a moment after creating a topic; clients retry). The create's error name.
 */
export async function createTopic(t: Target, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const res = await t.request(CreateTopics, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 10000,
    validateOnly: false,
  });
  const until = Date.now() + 10000;
  while (Date.now() < until) {
    const md = await t.request(Metadata, 9, { topics: [{ name, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const tm = md.topics[0];
    if (tm && tm.errorCode === 0 && tm.partitions.length === partitions && tm.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0)) break;
    await sleep(100);
  }
  // The leader's own partition can lag its metadata by a moment.
  await sleep(200);
  return errorName(res.topics[0]!.errorCode);
}

const LOADING = new Set([14, 15, 16]); // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
// 600 ids land on every one of the 50 coordinator partitions (Kafka hashes the id) but with odds
// of about one in ten thousand.
const WARM_IDS = Array.from({ length: 600 }, (_, i) => `dg-warm-${i}`);

/**
 * FindCoordinator v3 until it answers NONE, then until every coordinator partition has loaded:
 * Kafka creates `__consumer_offsets` / `__transaction_state` on the first lookup and loads their
 * 50 partitions one by one, answering NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for a group
 * or transactional id of a partition still loading. 20 s at most; the last error name.
 */
export async function awaitCoordinator(t: Target, key: string, keyType: 0 | 1): Promise<string> {
  const until = Date.now() + 20000;
  for (;;) {
    const res = await t.request(FindCoordinator, 3, { key, keyType, coordinatorKeys: [] });
    if (res.errorCode === 0 || Date.now() > until) {
      if (res.errorCode !== 0) return errorName(res.errorCode);
      break;
    }
    await sleep(200);
  }
  for (;;) {
    const codes =
      keyType === 0
        ? (await t.request(DescribeGroups, 0, { groups: WARM_IDS, includeAuthorizedOperations: false })).groups.map((g) => g.errorCode)
        : (await t.request(DescribeTransactions, 0, { transactionalIds: WARM_IDS })).transactionStates.map((s) => s.errorCode);
    const loading = codes.find((c) => LOADING.has(c));
    if (loading === undefined) return 'NONE';
    if (Date.now() > until) return errorName(loading);
    await sleep(200);
  }
}

function str(s: string): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(s));
  b.writeInt16BE(Buffer.byteLength(s), 0);
  b.write(s, 2);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}
function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n, 0);
  return b;
}

/** ConsumerProtocolSubscription v0: the topics, no user data. */
export function subscription(topics: readonly string[]): Buffer {
  return Buffer.concat([i16(0), i32(topics.length), ...topics.map(str), i32(-1)]);
}

/** ConsumerProtocolAssignment v0: partitions per topic, no user data. */
export function assignment(parts: Record<string, number[]>): Buffer {
  const entries = Object.entries(parts);
  return Buffer.concat([i16(0), i32(entries.length), ...entries.flatMap(([topic, ps]) => [str(topic), i32(ps.length), ...ps.map(i32)]), i32(-1)]);
}

export interface JoinOptions {
  memberId?: string;
  protocolType?: string;
  protocols?: Array<{ name: string; metadata: Buffer }>;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  groupInstanceId?: string | null;
}

export function joinBody(group: string, o: JoinOptions = {}): JoinGroupRequest {
  return {
    groupId: group,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 3000,
    memberId: o.memberId ?? '',
    groupInstanceId: o.groupInstanceId ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription(['dg-topic']) }],
    reason: null,
  };
}

/** JoinGroup, repeated once with the assigned member id when the broker answers MEMBER_ID_REQUIRED (v4+). */
export async function joinFollowing(c: RawClient, v: number, group: string, o: JoinOptions = {}): Promise<{ first: JoinGroupResponse; res: JoinGroupResponse }> {
  const first = await c.request(JoinGroup, v, joinBody(group, o));
  if (first.errorCode !== 79) return { first, res: first };
  const res = await c.request(JoinGroup, v, joinBody(group, { ...o, memberId: first.memberId }));
  return { first, res };
}

/** What a client can compare of a JoinGroup answer (member ids are random on both sides). */
export function joinView(r: JoinGroupResponse): Record<string, unknown> {
  return {
    error: errorName(r.errorCode),
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: r.protocolName,
    isLeader: r.leader !== '' && r.leader === r.memberId,
    hasMemberId: r.memberId !== '',
    members: r.members.length,
    memberMetadata: r.members.map((m) => m.metadata.toString('hex')),
    skipAssignment: r.skipAssignment,
  };
}
