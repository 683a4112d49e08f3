/**
 * KIP-932 share groups with raw requests, against a Kafka formatted with share.version=1
 * (share-differential.test.ts): ShareGroupHeartbeat's validation and fencing, joins until the
 * assignment settles (Kafka hands partitions out only after it initialized their share state, a
 * heartbeat or two after the join; Sluice at the join, so epochs are not compared, only the
 * settled partitions), ShareGroupDescribe and ListGroups; then records: ShareFetch acquiring,
 * ShareAcknowledge accepting and releasing, redelivery with delivery count 2, an acknowledgement
 * of records the member does not hold, share session errors, and the session's close.
 */
import { randomBytes } from 'node:crypto';
import type { Scenario, Target } from '../framework.js';
import type { RawClient } from '../../raw-client.js';
import {
  AlterShareGroupOffsets,
  DeleteGroups,
  DeleteShareGroupOffsets,
  DescribeShareGroupOffsets,
  IncrementalAlterConfigs,
  ListGroups,
  Metadata,
  ShareAcknowledge,
  ShareFetch,
  ShareGroupDescribe,
  ShareGroupHeartbeat,
  type ShareFetchResponse,
  type ShareGroupHeartbeatResponse,
} from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { awaitCoordinator, createTopic } from './group-util.js';
import { addPartition, batch, beginTxn, endTxn, produce, produceTxn, sleep, waitStable } from './util.js';

const GROUP_RESOURCE = 32;

/** A member id as the Java client makes them: a random uuid in base64url. */
const memberId = (): string => randomBytes(16).toString('base64url');

async function topicId(t: Target, topic: string): Promise<Buffer> {
  const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return Buffer.from(md.topics[0]!.topicId);
}

async function hb(c: RawClient, group: string, member: string, epoch: number, topics: string[] | null): Promise<ShareGroupHeartbeatResponse> {
  return c.request(ShareGroupHeartbeat, 1, { groupId: group, memberId: member, memberEpoch: epoch, rackId: null, subscribedTopicNames: topics });
}

const parts = (r: ShareGroupHeartbeatResponse): number[] | null => (r.assignment === null ? null : r.assignment.topicPartitions.flatMap((tp) => tp.partitions).sort((a, b) => a - b));
const errorView = (r: { errorCode: number; errorMessage: string | null }) => ({ error: errorName(r.errorCode), message: r.errorMessage });

/**
 * Heartbeats until the member holds `want` partitions (Kafka initializes share state first);
 * what it settled on. `from` is the answer the member had last (its assignment, if sent).
 */
async function settle(c: RawClient, group: string, member: string, from: ShareGroupHeartbeatResponse, want: number): Promise<{ epoch: number; partitions: number[] | null; error: string }> {
  let epoch = from.memberEpoch;
  let last: number[] | null = parts(from);
  if (last !== null && last.length === want) return { epoch, partitions: last, error: 'NONE' };
  for (let i = 0; i < 50; i++) {
    const r = await hb(c, group, member, epoch, null);
    if (r.errorCode !== 0) return { epoch, partitions: last, error: errorName(r.errorCode) };
    epoch = r.memberEpoch;
    if (r.assignment !== null) last = parts(r);
    if (last !== null && last.length === want) break;
    await sleep(200);
  }
  return { epoch, partitions: last, error: 'NONE' };
}

/** Sets a share group's GROUP configs (IncrementalAlterConfigs SET); the error names. */
async function setGroupConfigs(t: Target, group: string, configs: Record<string, string>, validateOnly = false): Promise<string[]> {
  const res = await t.request(IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }],
    validateOnly,
  });
  return res.responses.map((r) => errorName(r.errorCode));
}

/** A new member joins, heartbeats until it holds the topic's one partition, and fetches until records are acquired. */
async function joinAndFetch(
  c: RawClient,
  group: string,
  topic: string,
  id: Buffer,
): Promise<{ member: string; joined: unknown; settled: { error: string; partitions: number[] | null }; res: ShareFetchResponse; epoch: number }> {
  const member = memberId();
  const joined = await hb(c, group, member, 0, [topic]);
  const s = await settle(c, group, member, joined, 1);
  const fetched = await fetchUntilAcquired(c, group, member, 0, id);
  return { member, joined: errorView(joined), settled: { error: s.error, partitions: s.partitions }, ...fetched };
}

/** The member's share session closes, then it leaves. */
async function closeMember(c: RawClient, group: string, member: string): Promise<void> {
  await c.request(ShareAcknowledge, 1, { groupId: group, memberId: member, shareSessionEpoch: -1, topics: [] });
  await hb(c, group, member, -1, []);
}

async function describe(t: Target, group: string): Promise<unknown> {
  const res = await t.request(ShareGroupDescribe, 1, { groupIds: [group], includeAuthorizedOperations: false });
  return res.groups.map((g) => ({
    error: errorName(g.errorCode),
    message: g.errorMessage,
    state: g.groupState,
    assignor: g.assignorName,
    members: g.members.map((m) => ({ topics: m.subscribedTopicNames, fetches: m.assignment.topicPartitions.some((tp) => tp.partitions.length > 0) })),
    partitionsFetched: [...new Set(g.members.flatMap((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions)))].sort((a, b) => a - b),
  }));
}

/**
 * Acquired ranges with adjacent ones of the same delivery count merged: Kafka answers offsets it
 * tracks one by one (after acknowledgements split a batch) as one range each, Sluice as one range;
 * the client reads both alike.
 */
function mergedRanges(acquired: ReadonlyArray<{ firstOffset: bigint; lastOffset: bigint; deliveryCount: number }>): number[][] {
  const out: number[][] = [];
  for (const a of acquired) {
    const prev = out[out.length - 1];
    if (prev && prev[1]! + 1 === Number(a.firstOffset) && prev[2] === a.deliveryCount) prev[1] = Number(a.lastOffset);
    else out.push([Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount]);
  }
  return out;
}

function fetchView(r: ShareFetchResponse): unknown {
  return {
    error: errorName(r.errorCode),
    lockMs: r.acquisitionLockTimeoutMs,
    partitions: r.responses.flatMap((t) =>
      t.partitions.map((p) => ({
        partition: p.partitionIndex,
        error: errorName(p.errorCode),
        ackError: errorName(p.acknowledgeErrorCode),
        acquired: mergedRanges(p.acquiredRecords),
      })),
    ),
  };
}

async function shareFetch(c: RawClient, group: string, member: string, epoch: number, topic: Buffer | null, acks: Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }> = []): Promise<ShareFetchResponse> {
  return c.request(ShareFetch, 1, {
    groupId: group,
    memberId: member,
    shareSessionEpoch: epoch,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1 << 20,
    maxRecords: 500,
    batchSize: 500,
    topics: topic === null ? [] : [{ topicId: topic, partitions: [{ partitionIndex: 0, partitionMaxBytes: 0, acknowledgementBatches: acks }] }],
    forgottenTopicsData: [],
  });
}

/** ShareFetch (at `epoch`, then each next epoch) until records are acquired; the answer and the next epoch. */
async function fetchUntilAcquired(c: RawClient, group: string, member: string, epoch: number, topic: Buffer): Promise<{ res: ShareFetchResponse; epoch: number }> {
  let res = await shareFetch(c, group, member, epoch, topic);
  epoch = epoch + 1;
  for (let i = 0; i < 20 && res.errorCode === 0 && !res.responses.some((t) => t.partitions.some((p) => p.acquiredRecords.length > 0)); i++) {
    res = await shareFetch(c, group, member, epoch, null);
    epoch += 1;
  }
  return { res, epoch };
}

export const SHARE_SCENARIOS: Scenario[] = [
  {
    name: 'share-group-membership',
    async run(t, see) {
      const topic = 'sh-members';
      await createTopic(t, topic, 3);
      const group = 'sh-g1';
      see.see('coordinator', await awaitCoordinator(t, group, 0));
      const c = await t.connect();
      try {
        see.see('invalid/empty-group', errorView(await c.request(ShareGroupHeartbeat, 1, { groupId: '', memberId: memberId(), memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] })));
        see.see('invalid/empty-member', errorView(await hb(c, group, '', 0, [topic])));
        see.see('invalid/no-topics', errorView(await hb(c, group, memberId(), 0, null)));
        see.see('invalid/empty-topics', errorView(await hb(c, group, memberId(), 0, [])));
        see.see('invalid/epoch', errorView(await hb(c, group, memberId(), -2, [topic])));
        see.see('unknown-group', { error: errorName((await hb(c, 'sh-none', memberId(), 3, null)).errorCode) });
        const a = memberId();
        const joined = await hb(c, group, a, 0, [topic]);
        see.see('join', { error: errorName(joined.errorCode), memberId: joined.memberId === a, interval: joined.heartbeatIntervalMs, assignmentSent: joined.assignment !== null });
        const first = await settle(c, group, a, joined, 3);
        see.see('settled/first', { partitions: first.partitions, error: first.error });
        see.see('fenced/ahead', errorView(await hb(c, group, a, first.epoch + 10, null)));
        see.see('unknown-member', { error: errorName((await hb(c, group, memberId(), 1, null)).errorCode) });
        see.see('list', (await t.request(ListGroups, 5, { statesFilter: [], typesFilter: ['share'] })).groups.filter((g) => g.groupId === group));
        const b = memberId();
        const joinedB = await hb(c, group, b, 0, [topic]);
        const secondB = await settle(c, group, b, joinedB, 1);
        see.see('second-member', { error: secondB.error, hasPartitions: (secondB.partitions?.length ?? 0) > 0 });
        await settle(c, group, a, { ...joined, memberEpoch: first.epoch, assignment: null }, 2);
        // Which member gets which partitions is the simple assignor's choice (Kafka 4.1's keeps
        // the first member's three and gives the second one of them to share; Sluice's splits
        // them): what both promise is compared, every member fetching and every partition fetched.
        see.see('describe', await describe(t, group));
        see.see('describe/unknown', await describe(t, 'sh-nosuch'));
        const leave = await hb(c, group, b, -1, []);
        see.see('leave', { error: errorName(leave.errorCode), epoch: leave.memberEpoch, interval: leave.heartbeatIntervalMs, assignment: leave.assignment });
        see.see('leave/again', { error: errorName((await hb(c, group, b, -1, [])).errorCode) });
        await hb(c, group, a, -1, []);
        see.see('describe/empty', await describe(t, group));
      } finally {
        c.close();
      }
    },
  },
  {
    name: 'share-fetch-acknowledge',
    async run(t, see) {
      const topic = 'sh-records';
      await createTopic(t, topic, 1);
      await produce(t, topic, 0, batch(10, 'r'));
      const id = await topicId(t, topic);
      const group = 'sh-g2';
      see.see('coordinator', await awaitCoordinator(t, group, 0));
      see.see('earliest', await setGroupConfigs(t, group, { 'share.auto.offset.reset': 'earliest' }));
      const setReset = (value: string) => setGroupConfigs(t, 'sh-other', { 'share.auto.offset.reset': value }, true);
      see.see('reset/by-duration', await setReset('by_duration:PT1H'));
      see.see('reset/by-duration-days', await setReset('by_duration:P1DT2H30M0.5S'));
      see.see('reset/by-duration-negative', await setReset('by_duration:-PT1H'));
      see.see('reset/by-duration-garbage', await setReset('by_duration:soon'));
      see.see('reset/unknown', await setReset('nearest'));
      const c = await t.connect();
      try {
        const first = await joinAndFetch(c, group, topic, id);
        const m = first.member;
        see.see('fetch/first', fetchView(first.res));
        let epoch = first.epoch;
        const ack = await c.request(ShareAcknowledge, 1, {
          groupId: group,
          memberId: m,
          shareSessionEpoch: epoch,
          topics: [{ topicId: id, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [1] }, { firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [2] }] }] }],
        });
        epoch += 1;
        see.see('acknowledge', { error: errorName(ack.errorCode), partitions: ack.responses.flatMap((r) => r.partitions.map((p) => [p.partitionIndex, errorName(p.errorCode)])) });
        const again = await fetchUntilAcquired(c, group, m, epoch, id);
        see.see('fetch/redelivered', fetchView(again.res));
        epoch = again.epoch;
        const other = memberId();
        see.see('acknowledge/new-session', fetchView(await shareFetch(c, group, other, 0, id, [{ firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [1] }])));
        await shareFetch(c, group, other, 0, id);
        see.see('other-member/nothing-free', fetchView(await shareFetch(c, group, other, 1, null, [])));
        const notHeld = await c.request(ShareAcknowledge, 1, {
          groupId: group,
          memberId: other,
          shareSessionEpoch: 2,
          topics: [{ topicId: id, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [1] }] }] }],
        });
        see.see('acknowledge/not-held', { error: errorName(notHeld.errorCode), partitions: notHeld.responses.flatMap((r) => r.partitions.map((p) => [p.partitionIndex, errorName(p.errorCode)])) });
        see.see('session/wrong-epoch', fetchView(await shareFetch(c, group, m, epoch + 5, null)));
        see.see('session/not-found', fetchView(await shareFetch(c, group, memberId(), 4, null)));
        const ack0 = await c.request(ShareAcknowledge, 1, { groupId: group, memberId: m, shareSessionEpoch: 0, topics: [] });
        see.see('acknowledge/epoch0', errorName(ack0.errorCode));
        const accept = await shareFetch(c, group, m, epoch, id, [{ firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [1] }]);
        see.see('fetch/accept-rest', fetchView(accept));
        const close = await c.request(ShareAcknowledge, 1, { groupId: group, memberId: m, shareSessionEpoch: -1, topics: [] });
        see.see('close', { error: errorName(close.errorCode), responses: close.responses.length });
        see.see('after-close', fetchView(await shareFetch(c, group, m, epoch + 1, null)));
        await hb(c, group, m, -1, []);
        // DescribeShareGroupOffsets: which partitions and errors (Kafka may show the start offset of
        // the last write before the final acknowledgement, so only whether there is one is compared).
        const offsets = async (groups: Array<{ groupId: string; topics: Array<{ topicName: string; partitions: number[] }> | null }>) =>
          (await t.request(DescribeShareGroupOffsets, 0, { groups })).groups.map((g) => ({
            group: g.groupId,
            error: errorName(g.errorCode),
            topics: g.topics.map((tp) => ({ topic: tp.topicName, partitions: tp.partitions.map((p) => [p.partitionIndex, errorName(p.errorCode), p.startOffset >= 0n]) })),
          }));
        see.see('offsets/all', await offsets([{ groupId: group, topics: null }]));
        see.see('offsets/named', await offsets([{ groupId: group, topics: [{ topicName: topic, partitions: [0] }] }]));
        see.see('offsets/unknown-group', await offsets([{ groupId: 'sh-nosuch', topics: null }]));
        // DeleteGroups deletes the share-partitions' state too: the group's start offset reads as
        // none (-1) afterwards. (What a new member of the same id gets next is not compared: Kafka
        // 4.1.1 delivered nothing within 10 s, Sluice starts the group afresh; README.)
        const deleted = await t.request(DeleteGroups, 2, { groupsNames: [group] });
        see.see('delete-group', deleted.results.map((r) => errorName(r.errorCode)));
        see.see('after-delete/offsets', await offsets([{ groupId: group, topics: [{ topicName: topic, partitions: [0] }] }]));
      } finally {
        c.close();
      }
    },
  },
  {
    name: 'share-reset-by-duration',
    async run(t, see) {
      const topic = 'sh-by-duration';
      await createTopic(t, topic, 1);
      await produce(t, topic, 0, batch(5, 'd'));
      const id = await topicId(t, topic);
      const group = 'sh-g3';
      see.see('coordinator', await awaitCoordinator(t, group, 0));
      see.see('set', await setGroupConfigs(t, group, { 'share.auto.offset.reset': 'by_duration:PT1H' }));
      await sleep(500);
      const c = await t.connect();
      try {
        const first = await joinAndFetch(c, group, topic, id);
        see.see('join', first.joined);
        see.see('settled', first.settled);
        see.see('fetch/last-hour', fetchView(first.res));
        await closeMember(c, group, first.member);
      } finally {
        c.close();
      }
    },
  },
  {
    name: 'share-read-committed',
    async run(t, see) {
      const topic = 'sh-committed';
      await createTopic(t, topic, 1);
      await produce(t, topic, 0, batch(2, 'plain'));
      const committed = await beginTxn(t, 'sh-txn-committed');
      await addPartition(t, committed, topic, 0);
      await produceTxn(t, committed, topic, 0, 3, 0, 'c');
      await endTxn(t, committed, true);
      // Kafka writes the marker after EndTxn answers: wait for it, so both logs have the same order.
      await waitStable(t, topic, 0);
      const aborted = await beginTxn(t, 'sh-txn-aborted');
      await addPartition(t, aborted, topic, 0);
      await produceTxn(t, aborted, topic, 0, 3, 0, 'a');
      await endTxn(t, aborted, false);
      await waitStable(t, topic, 0);
      await produce(t, topic, 0, batch(2, 'after'));
      const id = await topicId(t, topic);
      for (const level of ['read_committed', 'read_uncommitted']) {
        const group = `sh-g-${level}`;
        see.see(`${level}/coordinator`, await awaitCoordinator(t, group, 0));
        see.see(`${level}/set`, await setGroupConfigs(t, group, { 'share.auto.offset.reset': 'earliest', 'share.isolation.level': level }));
        await sleep(500);
        const c = await t.connect();
        try {
          const first = await joinAndFetch(c, group, topic, id);
          see.see(`${level}/fetch`, fetchView(first.res));
          await closeMember(c, group, first.member);
        } finally {
          c.close();
        }
      }
    },
  },
  {
    // DeleteShareGroupOffsets on an empty group: the topic it read (its state deleted), an existing
    // topic it never read, an unknown one; DescribeShareGroupOffsets after; the same again; where
    // the next member starts. AlterShareGroupOffsets of an unknown topic. (Not compared: what
    // AlterShareGroupOffsets does to a topic, which Kafka 4.1.1 answers with no topics and does
    // not apply: its group-coordinator part came in 4.2, KAFKA-16717; nor a group with members or
    // of no group, whose top-level errors 4.1.1 drops, KAFKA-19440. share-groups.test.ts checks
    // Sluice's with the Java admin client.)
    name: 'share-delete-offsets',
    async run(t, see) {
      const topic = 'sh-offsets';
      await createTopic(t, topic, 1);
      await createTopic(t, 'sh-offsets-unread', 1);
      await produce(t, topic, 0, batch(10, 'o'));
      const id = await topicId(t, topic);
      const group = 'sh-g-offsets';
      see.see('coordinator', await awaitCoordinator(t, group, 0));
      see.see('earliest', await setGroupConfigs(t, group, { 'share.auto.offset.reset': 'earliest' }));
      await sleep(500);
      const remove = async (topics: string[]) => {
        const r = await t.request(DeleteShareGroupOffsets, 0, { groupId: group, topics: topics.map((topicName) => ({ topicName })) });
        return { ...errorView(r), topics: r.responses.map((tp) => ({ topic: tp.topicName, id: !tp.topicId.equals(Buffer.alloc(16)), error: errorName(tp.errorCode), message: tp.errorMessage })) };
      };
      const offsets = async () =>
        (await t.request(DescribeShareGroupOffsets, 0, { groups: [{ groupId: group, topics: null }] })).groups.map((g) => ({
          error: errorName(g.errorCode),
          topics: g.topics.map((tp) => ({ topic: tp.topicName, partitions: tp.partitions.map((p) => [p.partitionIndex, errorName(p.errorCode), Number(p.startOffset)]) })),
        }));
      const member = async (label: string) => {
        const c = await t.connect();
        try {
          const m = await joinAndFetch(c, group, topic, id);
          // Records 0-4 accepted, so the start offset moves to 5.
          await c.request(ShareAcknowledge, 1, {
            groupId: group,
            memberId: m.member,
            shareSessionEpoch: m.epoch,
            topics: [{ topicId: id, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [1] }] }] }],
          });
          see.see(`${label}/fetch`, fetchView(m.res));
          await closeMember(c, group, m.member);
        } finally {
          c.close();
        }
      };
      await member('first');
      see.see('offsets', await offsets());
      see.see('delete', await remove([topic, 'sh-offsets-unread', 'sh-offsets-nosuch']));
      see.see('delete/offsets', await offsets());
      see.see('delete/again', await remove([topic]));
      await member('after-delete');
      const alter = await t.request(AlterShareGroupOffsets, 0, { groupId: group, topics: [{ topicName: 'sh-offsets-nosuch', partitions: [{ partitionIndex: 0, startOffset: 0n }] }] });
      see.see('alter/unknown-topic', { ...errorView(alter), topics: alter.responses.map((tp) => ({ topic: tp.topicName, id: !tp.topicId.equals(Buffer.alloc(16)), partitions: tp.partitions.map((p) => [p.partitionIndex, errorName(p.errorCode), p.errorMessage]) })) });
    },
  },
];
