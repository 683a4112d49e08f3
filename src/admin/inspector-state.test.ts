/**
 * GET /inspector/state: the consumer-assignment decoder on good and malformed bytes, the bounds on
 * an embedded broker with more partitions than one snapshot shows, and KIP-848 and share groups.
 */
import t, { type Test } from 'tap';
import { startBroker } from '../index.js';
import { tmpDataDir } from '../../compat-tests/harness.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { ConsumerGroupHeartbeat, CreateTopics, ShareGroupHeartbeat } from '../protocol/generated/index.js';
import { decodeConsumerAssignment, INSPECTOR_ROWS } from './inspector-state.js';

function assignment(topics: Array<[string, number[]]>, version = 1): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(6);
  head.writeInt16BE(version, 0);
  head.writeInt32BE(topics.length, 2);
  parts.push(head);
  for (const [name, ps] of topics) {
    const n = Buffer.from(name);
    const b = Buffer.alloc(2 + n.length + 4 + ps.length * 4);
    b.writeInt16BE(n.length, 0);
    n.copy(b, 2);
    b.writeInt32BE(ps.length, 2 + n.length);
    ps.forEach((p, i) => b.writeInt32BE(p, 2 + n.length + 4 + i * 4));
    parts.push(b);
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}

/** An embedded broker with an admin port, a raw client on it and a topic of `partitions`; all gone at the test's end. */
async function brokerWithTopic(t: Test, topic: string, partitions: number) {
  const data = tmpDataDir('sluice-inspector-');
  const broker = await startBroker({ port: 0, dataDir: data.dir, adminPort: 0 });
  t.teardown(async () => {
    await broker.stop();
    data.remove();
  });
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  const res = await c.request(CreateTopics, 7, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(res.topics[0]!.errorCode, 0, `topic ${topic} created`);
  const state = async (): Promise<any> => (await fetch(`http://127.0.0.1:${broker.adminPort}/inspector/state`)).json();
  return { broker, c, state };
}

t.test('decodeConsumerAssignment', async (t) => {
  t.same(decodeConsumerAssignment(Buffer.alloc(0)), [], 'an empty assignment (before the first sync)');
  t.same(decodeConsumerAssignment(assignment([['a', [0, 2]], ['b', []]])), [{ topic: 'a', partitions: [0, 2] }, { topic: 'b', partitions: [] }]);
  const good = assignment([['orders', [0, 1, 2]]]);
  for (let cut = 1; cut < good.length - 4; cut++) t.equal(decodeConsumerAssignment(good.subarray(0, cut)), null, `cut at ${cut}`);
  const huge = Buffer.from(good);
  huge.writeInt32BE(0x7fffffff, 2);
  t.equal(decodeConsumerAssignment(huge), null, 'a topic count past the bytes left');
  const hugePartitions = Buffer.from(good);
  hugePartitions.writeInt32BE(0x7fffffff, 6 + 2 + 6); // after the header and "orders"
  t.equal(decodeConsumerAssignment(hugePartitions), null, 'a partition count past the bytes left');
  t.equal(decodeConsumerAssignment(Buffer.from('not a consumer protocol at all')), null);
});

t.test('a topic with more partitions than a snapshot shows: bounded, with the total', async (t) => {
  const count = INSPECTOR_ROWS.partitionsPerTopic + 6;
  const { broker, state: snapshot } = await brokerWithTopic(t, 'wide', count);
  broker.faults.add({ apiKey: 0, errorCode: 6, times: 1 });

  const state = await snapshot();
  const wide = state.topics.rows.find((x: any) => x.name === 'wide');
  t.equal(wide.partitionCount, count);
  t.equal(wide.partitions.total, count);
  t.equal(wide.partitions.rows.length, INSPECTOR_ROWS.partitionsPerTopic);
  t.match(wide.partitions.rows[0], { partition: 0, leader: broker.nodeId, local: true, logStartOffset: 0, highWatermark: 0, logEndOffset: 0, segments: 1 });
  t.match(state.faults, { total: 1, rows: [{ apiKey: 0, errorCode: 6, times: 1, matched: 0, fired: 0 }] });
  t.same(state.groups, { total: 0, rows: [] });
  t.same(state.transactions, { total: 0, rows: [] });
  t.equal(state.nodeId, broker.nodeId);
  t.equal(state.clusterId, broker.clusterId);

  const page = await fetch(`http://127.0.0.1:${broker.adminPort}/`);
  t.equal(page.status, 200);
  t.match(await page.text(), /<title>Sluice inspector<\/title>/);
});

t.test('a KIP-848 consumer group: its members, their partitions by topic name, its state and epoch', async (t) => {
  const { c, state: snapshot } = await brokerWithTopic(t, 'kip848', 2);
  const r = await c.request(ConsumerGroupHeartbeat, 1, {
    groupId: 'g848',
    memberId: 'member-1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30000,
    subscribedTopicNames: ['kip848'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
  });
  t.equal(r.errorCode, 0);
  const g = (await snapshot()).groups.rows.find((x: any) => x.groupId === 'g848');
  t.equal(g.state, 'Stable');
  t.equal(g.generationId, 1, 'the group epoch');
  t.same(g.members.rows.map((m: any) => [m.memberId, m.assignment]), [['member-1', [{ topic: 'kip848', partitions: [0, 1] }]]]);
});

t.test('a KIP-932 share group: its members, the partitions they share, its state and epoch', async (t) => {
  const { c, state: snapshot } = await brokerWithTopic(t, 'shared', 1);
  // Two members, one partition: the simple assignor gives it to both.
  for (const memberId of ['member-a', 'member-b']) {
    const r = await c.request(ShareGroupHeartbeat, 1, { groupId: 'gshare', memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: ['shared'] });
    t.equal(r.errorCode, 0, `${memberId} joins`);
  }
  const a = await c.request(ShareGroupHeartbeat, 1, { groupId: 'gshare', memberId: 'member-a', memberEpoch: 1, rackId: null, subscribedTopicNames: null });
  t.equal(a.errorCode, 0, 'member-a heartbeats and moves to the group epoch the second join made');
  const g = (await snapshot()).groups.rows.find((x: any) => x.groupId === 'gshare');
  t.match(g, { state: 'Stable', protocolType: 'share', protocol: 'KIP-932', generationId: 2 });
  t.same(g.members.rows.map((m: any) => [m.memberId, m.assignment]), [
    ['member-a', [{ topic: 'shared', partitions: [0] }]],
    ['member-b', [{ topic: 'shared', partitions: [0] }]],
  ]);
  t.same(g.offsets.rows.map((o: any) => [o.topic, o.partition, o.committedOffset, o.memberId]), [['shared', 0, null, 'member-a,member-b']], 'no committed offset; both members named');
});
