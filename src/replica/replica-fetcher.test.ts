/**
 * A follower's replica fetcher against a real leader: an embedded broker (node 1) leads a
 * partition whose second replica is node 2, this test's in-process follower (its own logs and
 * replica manager), which fetches over the wire with net/node-client.ts. Named cases: acks=all
 * answered once the follower has the batches, the follower's log byte for byte the leader's, a
 * diverged tail truncated by the leader's diverging epoch, and a follower behind the leader's
 * log start restarting there.
 */
import t, { type Test } from 'tap';
import { Broker } from '../broker.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { RecordCheckPool } from '../log/decompress-pool.js';
import { MemoryFileIO } from '../log/file-io.js';
import { LogManager } from '../log/log-manager.js';
import { buildRecordBatch, validateBatches } from '../log/record-batch.js';
import { silentLogger } from '../logger.js';
import { NodeClient } from '../net/node-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { CreateTopics, DeleteRecords, Fetch, ListOffsets, Produce } from '../protocol/generated/index.js';
import { RawClient, fetchRequest } from '../../compat-tests/raw-client.js';
import { tmpDataDir, until } from '../../compat-tests/harness.js';
import { ReplicaFetcher, ReplicaFetcherManager, type LeaderEndpoint } from './replica-fetcher.js';
import { ReplicaManager } from './replica-manager.js';

const FOLLOWER = 2;
const ZERO = Buffer.alloc(16);

interface Setup {
  leader: Broker;
  client: RawClient;
  follower: ReplicaManager;
  fetcher: ReplicaFetcher;
  logs: LogManager;
}

function endpoint(port: number, leaderId: number): LeaderEndpoint {
  const nc = new NodeClient({ host: '127.0.0.1', port, clientId: 'replica-fetcher-2', requestTimeoutMs: 5000, connectTimeoutMs: 2000, reconnectBackoffMs: 50, inFlightMax: 1, responseBytesMax: 64 << 20 });
  return { leaderId, fetch: (req) => nc.request(Fetch, req, { version: 12 }), listOffsets: (req) => nc.request(ListOffsets, req), close: () => nc.close() };
}

async function setup(t: Test, topic: string, prepareFollower?: (rm: ReplicaManager) => void): Promise<Setup> {
  const data = tmpDataDir('sluice-fetcher-');
  const leader = await Broker.start({ port: 0, dataDir: data.dir, logger: silentLogger });
  const client = await RawClient.connect(leader.listenPort);
  const created = await client.request(CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  const state = { leader: leader.nodeId, leaderEpoch: 1, partitionEpoch: 1, replicas: [leader.nodeId, FOLLOWER], isr: [leader.nodeId, FOLLOWER] };
  leader.replicas.syncTopic(topic, [state]);

  const io = new MemoryFileIO();
  io.mkdir('/f');
  const logs = new LogManager('/f', io, loadBrokerConfig({ properties: { 'log.dirs': '/f', 'node.id': String(FOLLOWER) } }), silentLogger);
  logs.openAll([{ name: topic, topicId: 'T', partitions: 1, configs: new Map() }]);
  const checks = new RecordCheckPool(silentLogger, 0);
  const follower = new ReplicaManager(FOLLOWER, logs, checks, silentLogger);
  follower.syncTopic(topic, [{ ...state, leaderEpoch: 0 }]);
  prepareFollower?.(follower);
  follower.syncTopic(topic, [state]);
  const fetcher = new ReplicaFetcher(endpoint(leader.listenPort, leader.nodeId), follower, { replicaId: FOLLOWER, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, backoffMs: 50 }, (m) => t.comment(m));
  t.teardown(async () => {
    await fetcher.stop();
    client.close();
    await leader.stop();
    await checks.close();
    logs.closeAll();
    data.remove();
  });
  return { leader, client, follower, fetcher, logs };
}

async function produce(s: Setup, topic: string, acks: number, value: string): Promise<number> {
  const records = buildRecordBatch([{ key: null, value: Buffer.from(value), timestamp: BigInt(Date.now()) }]);
  const res = await s.client.request(Produce, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO, partitionData: [{ index: 0, records }] }] });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

async function leaderBytes(s: Setup, topic: string): Promise<Buffer> {
  const res = await s.client.request(Fetch, 12, { ...fetchRequest(topic, 0, 0n), replicaId: -1 });
  return res.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0);
}

function followerBytes(s: Setup, topic: string): Buffer {
  return s.follower.getPartition(topic, 0)!.read(0n, 1 << 20, { minOneBatch: true, isolation: 'log-end' }).records;
}


t.test('acks=all is answered once the follower has the batches; its log is the leader log, byte for byte', async (t) => {
  const s = await setup(t, 'rep');
  s.fetcher.addPartition('rep', 0);
  for (let i = 0; i < 10; i++) t.equal(await produce(s, 'rep', -1, `v${i}`), ErrorCode.NONE, `acks=all ${i}`);
  const p = s.follower.getPartition('rep', 0)!;
  t.ok(await until('the follower has all ten', () => p.logEndOffset === 10n), 'the follower has all ten');
  t.ok(followerBytes(s, 'rep').equals(await leaderBytes(s, 'rep')), 'the same bytes: offsets and epochs kept');
  t.ok(await until('and follows the leader high watermark', () => p.highWatermark === 10n), 'and follows the leader high watermark');
  t.equal(p.latestEpoch, 1, 'the leader epoch of the batches');
});

t.test('a diverged tail is truncated by the diverging epoch, then replaced by the leader data', async (t) => {
  const s = await setup(t, 'div', (rm) => {
    // Three batches this replica wrote as leader under epoch 0 that the new leader never had.
    const p = rm.getPartition('div', 0)!;
    for (let i = 0; i < 3; i++) {
      const b = buildRecordBatch([{ key: null, value: Buffer.from(`stale${i}`), timestamp: 1000n }]);
      const c = validateBatches(b, { maxBatchBytes: 1 << 20, origin: 'internal' });
      if (!c.ok) throw new Error(c.message);
      p.appendAsCoordinator(b, c.batches);
    }
  });
  t.equal(await produce(s, 'div', 1, 'fresh0'), ErrorCode.NONE);
  t.equal(await produce(s, 'div', 1, 'fresh1'), ErrorCode.NONE);
  s.fetcher.addPartition('div', 0);
  const p = s.follower.getPartition('div', 0)!;
  t.ok(await until('the follower log became the leader log', async () => followerBytes(s, 'div').equals(await leaderBytes(s, 'div'))), 'the follower log became the leader log');
  t.equal(p.logEndOffset, 2n);
});

t.test('a follower behind the leader log start restarts its log there', async (t) => {
  const s = await setup(t, 'gone');
  for (let i = 0; i < 5; i++) t.equal(await produce(s, 'gone', 1, `g${i}`), ErrorCode.NONE);
  // The ISR must not wait for the follower for the deletion to reach offset 5.
  s.leader.replicas.syncTopic('gone', [{ leader: s.leader.nodeId, leaderEpoch: 1, partitionEpoch: 2, replicas: [s.leader.nodeId, FOLLOWER], isr: [s.leader.nodeId] }]);
  const del = await s.client.request(DeleteRecords, 2, { topics: [{ name: 'gone', partitions: [{ partitionIndex: 0, offset: 4n }] }], timeoutMs: 1000 });
  t.equal(del.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  s.fetcher.addPartition('gone', 0);
  const p = s.follower.getPartition('gone', 0)!;
  t.ok(await until('caught up from the leader log start', () => p.logEndOffset === 5n), 'caught up from the leader log start');
  t.equal(p.logStartOffset, 4n, 'its own log starts where the leader log starts');
});

t.test('the committed partition state starts and stops the fetching (ReplicaFetcherManager)', async (t) => {
  const s = await setup(t, 'managed');
  const manager = new ReplicaFetcherManager(s.follower, { replicaId: FOLLOWER, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, backoffMs: 50 }, (id) => (id === s.leader.nodeId ? endpoint(s.leader.listenPort, id) : null), (m) => t.comment(m));
  t.teardown(() => manager.stopAll());
  s.follower.fetchers = manager;
  const state = { leader: s.leader.nodeId, leaderEpoch: 1, partitionEpoch: 1, replicas: [s.leader.nodeId, FOLLOWER], isr: [s.leader.nodeId, FOLLOWER] };
  s.follower.syncTopic('managed', [state]);
  t.equal(manager.fetcherCount, 1, 'following the leader');
  t.equal(await produce(s, 'managed', -1, 'm0'), ErrorCode.NONE, 'acks=all answered: the follower fetched');
  s.follower.syncTopic('managed', [{ ...state, leader: FOLLOWER, leaderEpoch: 2, partitionEpoch: 2 }]);
  t.equal(manager.fetcherCount, 0, 'leading now: no fetcher');
  t.ok(s.follower.getPartition('managed', 0)!.isLeader);
});
