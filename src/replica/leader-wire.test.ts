/**
 * The leader's side of replication over the real wire, on one embedded broker: the controller's
 * decision that a partition has a second replica (node 2) is applied by hand, and node 2's
 * fetches are raw Fetch requests with its replica id, as a follower's replica fetcher sends them.
 */
import t from 'tap';
import { Broker } from '../broker.js';
import { silentLogger } from '../logger.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { ErrorCode } from '../protocol/errors.js';
import { CreateTopics, Fetch, ListOffsets, OffsetForLeaderEpoch, Produce, type FetchRequest } from '../protocol/generated/index.js';
import { RawClient, fetchRequest } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const FOLLOWER = 2;
const ZERO = Buffer.alloc(16);
const data = tmpDataDir('sluice-leader-wire-');
let broker: Broker;
let c: RawClient;
/** The follower's own connection: a connection answers in request order, and acks=all waits on `c`. */
let follower: RawClient;

t.before(async () => {
  broker = await Broker.start({ port: 0, dataDir: data.dir, logger: silentLogger });
  c = await RawClient.connect(broker.listenPort);
  follower = await RawClient.connect(broker.listenPort);
});
t.teardown(async () => {
  c?.close();
  follower?.close();
  await broker?.stop();
  data.remove();
});

function produce(acks: number, value: string, timeoutMs = 5000): Promise<number> {
  const records = buildRecordBatch([{ key: null, value: Buffer.from(value), timestamp: BigInt(Date.now()) }]);
  return c
    .request(Produce, 9, { transactionalId: null, acks, timeoutMs, topicData: [{ name: 'rep', topicId: ZERO, partitionData: [{ index: 0, records }] }] })
    .then((r) => r.responses[0]!.partitionResponses[0]!.errorCode);
}

async function fetchAs(replicaId: number, fetchOffset: bigint, currentLeaderEpoch = -1, version = 12): Promise<{ error: number; hw: bigint; bytes: number }> {
  const req: FetchRequest = { ...fetchRequest('rep', 0, fetchOffset), replicaId };
  req.topics[0]!.partitions[0]!.currentLeaderEpoch = currentLeaderEpoch;
  const p = (await (replicaId >= 0 ? follower : c).request(Fetch, version, req)).responses[0]!.partitions[0]!;
  return { error: p.errorCode, hw: p.highWatermark, bytes: p.records?.length ?? 0 };
}

function assign(leader: number, leaderEpoch: number): void {
  broker.replicas.syncTopic('rep', [{ leader, leaderEpoch, partitionEpoch: leaderEpoch, replicas: [broker.nodeId, FOLLOWER], isr: [broker.nodeId, FOLLOWER] }]);
}

t.test('consumers read below the high watermark; the follower reads to the log end and moves it', async (t) => {
  const created = await c.request(CreateTopics, 7, { topics: [{ name: 'rep', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  assign(broker.nodeId, 1);
  t.equal(await produce(1, 'a'), ErrorCode.NONE);
  t.equal(await produce(1, 'b'), ErrorCode.NONE);
  const consumer = await fetchAs(-1, 0n);
  t.same(consumer, { error: ErrorCode.NONE, hw: 0n, bytes: 0 }, 'nothing committed yet');

  let acked: number | null = null;
  const allAcks = produce(-1, 'c').then((e) => (acked = e));
  await new Promise((r) => setTimeout(r, 50));
  t.equal(acked, null, 'acks=all waits for the follower');

  const first = await fetchAs(FOLLOWER, 0n, 1);
  t.equal(first.error, ErrorCode.NONE);
  t.ok(first.bytes > 0, 'the follower gets the uncommitted batches');
  // Its fetch at the log end commits everything; the answer carries the high watermark as of
  // before the fetch (Kafka's readRecords), the next one the new one.
  await fetchAs(FOLLOWER, 3n, 1);
  t.equal((await fetchAs(FOLLOWER, 3n, 1)).hw, 3n, 'the follower learns the new high watermark');
  await allAcks;
  t.equal(acked, ErrorCode.NONE, 'acks=all answered');
  const after = await fetchAs(-1, 0n);
  t.equal(after.hw, 3n);
  t.equal(after.bytes, first.bytes, 'consumers now read the three batches the follower read');
});

t.test('a fetch naming a node that is no replica', async (t) => {
  t.equal((await fetchAs(7, 0n, 1)).error, ErrorCode.UNKNOWN_LEADER_EPOCH, 'with a leader epoch: retry later');
  t.equal((await fetchAs(7, 0n, -1)).error, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'without one');
});

t.test('once another broker leads, this one refuses what only a leader serves', async (t) => {
  assign(FOLLOWER, 2);
  t.equal(await produce(1, 'd'), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'Produce');
  t.equal((await fetchAs(-1, 0n, -1, 10)).error, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'Fetch below v11 (no client rack, no reading from followers)');
  t.equal((await fetchAs(-1, 0n)).error, ErrorCode.NONE, 'Fetch v12 from a consumer: served by this follower (KIP-392)');
  t.equal((await fetchAs(FOLLOWER, 0n)).error, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a replica\'s Fetch: only the leader serves it');
  const lo = await c.request(ListOffsets, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: 'rep', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
  t.equal(lo.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'ListOffsets');
  const ofle = await c.request(OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'rep', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 1 }] }] });
  t.equal(ofle.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'OffsetForLeaderEpoch');
});
