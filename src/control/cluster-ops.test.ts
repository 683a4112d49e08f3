/**
 * The cluster operations on one embedded broker (startBroker) and its admin endpoint: what one node
 * can do (down/up, hide, older API ranges, KIP-896 notes) and what it refuses with a clear message
 * (moving a leader). The multi-node behaviour is compat-tests/cluster-ops.test.ts.
 */
import t from 'tap';
import { startBroker } from '../index.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { run, spawnBroker, tmpDataDir, CLI } from '../../compat-tests/harness.js';
import { ApiVersions, CreateTopics, DescribeCluster, Fetch, FindCoordinator, Metadata, Produce } from '../protocol/generated/index.js';
import { buildRecordBatch } from '../log/record-batch.js';
import { ErrorCode } from '../protocol/errors.js';
import { KAFKA_RELEASES } from './kafka-releases.js';
import { removedVersions, requestNotes } from './kafka4-notes.js';
import { rangesFor } from './kafka-version.js';

const d = tmpDataDir('sluice-cluster-ops-');
t.teardown(d.remove);

const metadata = (c: RawClient) => c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });

t.test('the release table and the KIP-896 removals derived from it', async (t) => {
  for (const line of ['2.8', '3.0', '3.7', '3.9', '4.0', '4.1']) t.ok(KAFKA_RELEASES[line], `${line} recorded`);
  const removed = removedVersions();
  t.same(removed.get(0), [0, 2], 'Produce v0-2');
  t.same(removed.get(1), [0, 3], 'Fetch v0-3');
  t.same(removed.get(8), [0, 1], 'OffsetCommit v0-1');
  t.notOk(removed.has(3), 'Metadata lost no version');
  t.match(requestNotes(1, 2), [/Fetch v2 was removed in Kafka 4\.0 \(KIP-896\): Kafka 4 serves Fetch v4 and later/]);
  t.same(requestNotes(1, 4), []);
  const create = { topics: [{ name: 'x', configs: [{ name: 'message.format.version', value: '2.8' }, { name: 'retention.ms', value: '1' }] }] };
  t.match(requestNotes(19, 7, create), [/topic config message\.format\.version was removed in Kafka 4\.0/]);
  const alter = { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.message.format.version' }] }] };
  t.match(requestNotes(44, 1, alter), [/broker config log\.message\.format\.version/]);
  const { ranges, gaps } = rangesFor('2.8', [
    { apiKey: 0, minVersion: 0, maxVersion: 12 },
    { apiKey: 1, minVersion: 4, maxVersion: 17 },
  ]);
  t.same(ranges.get(0), { minVersion: 0, maxVersion: 9 }, 'Produce: 2.8 went to v9');
  t.same(ranges.get(1), { minVersion: 4, maxVersion: 12 }, 'Fetch: Sluice from v4, 2.8 to v12');
  t.ok(gaps.some((g) => g.apiKey === 1 && g.sluice?.[0] === 4), 'the Fetch versions Sluice cannot serve are listed');
  t.ok(gaps.some((g) => g.apiKey === 4 && g.sluice === null), 'so are APIs Sluice lacks (LeaderAndIsr)');
  t.throws(() => rangesFor('1.0', []), /not a recorded Kafka release; one of 2\.8, 3\.0/);
});

t.test('one broker: refusals, older ranges, notes, hide, down and up — in process and over HTTP', async (t) => {
  const b = await startBroker({ port: 0, dataDir: d.dir, adminPort: 0, kafkaVersion: '2.8' });
  t.teardown(() => b.stop());
  const http = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`http://127.0.0.1:${b.adminPort}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, json: text === '' ? null : JSON.parse(text) };
  };
  const c = await RawClient.connect(b.port);
  t.teardown(() => c.close());
  const created = await c.request(CreateTopics, 5, { topics: [{ name: 'one', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'message.format.version', value: '2.8' }] }], timeoutMs: 5000, validateOnly: false });
  t.equal(created.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'Kafka 4 refuses message.format.version, and so does Sluice');
  await c.request(CreateTopics, 5, { topics: [{ name: 'one', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });

  await t.test('moving a leader on one node is refused, saying why', async (t) => {
    t.throws(() => b.moveLeader('one', 0, 2), /broker 2 holds no replica of one-0 .*a partition with one replica cannot change leader/);
    t.same(b.moveLeader('one', 0, b.nodeId).leader, b.nodeId, 'to the leader it has: nothing to do');
    const r = await http('POST', '/cluster/move-leader', { topic: 'one', partition: 0, broker: 2 });
    t.equal(r.status, 409);
    t.match(r.json.error, /holds no replica/);
    t.equal((await http('POST', '/cluster/move-leader', { topic: 'nope', partition: 0, broker: 1 })).status, 404);
    t.equal((await http('POST', '/cluster/move-leader', { topic: 'one', partition: -1, broker: 1 })).status, 400);
    t.equal((await http('POST', '/cluster/move-leader', { topic: 'one', partition: 0, broker: 1, extra: 1 })).status, 400);
  });

  await t.test('ApiVersions answers exactly the 2.8 ranges Sluice can serve; versions outside are refused', async (t) => {
    const av = await c.request(ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    const produce = av.apiKeys.find((k) => k.apiKey === 0)!;
    t.same([produce.minVersion, produce.maxVersion], [0, 9], 'Produce 0-9 as 2.8');
    const metadataRange = av.apiKeys.find((k) => k.apiKey === 3)!;
    t.same([metadataRange.minVersion, metadataRange.maxVersion], [0, 11], 'Metadata 0-11 as 2.8');
    t.notOk(av.apiKeys.some((k) => k.apiKey === 68), 'no ConsumerGroupHeartbeat (KIP-848 came in 3.7)');
    const r28 = new Map(KAFKA_RELEASES['2.8']!.apis.map(([k, lo, hi]) => [k, [lo, hi]]));
    for (const k of av.apiKeys) {
      const r = r28.get(k.apiKey);
      t.ok(r && k.minVersion >= r[0]! && k.maxVersion <= r[1]!, `${k.apiKey} inside 2.8's range`);
    }
    const view = (await http('GET', '/kafka-version')).json;
    t.equal(view.version, '2.8');
    t.equal(view.source, '2.8.2');
    t.ok(view.gaps.length > 0, 'gaps listed');
    // Metadata v12 came after 2.8: Kafka closes the connection of a request at a version it does not serve.
    const other = await RawClient.connect(b.port);
    await t.rejects(other.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }), /connection closed/);
    other.close();
    // Back to Sluice's own over HTTP, then 3.9 in process.
    const own = await http('PUT', '/kafka-version', { version: null });
    t.equal(own.json.version, null);
    t.ok((await metadata(c)).brokers.length === 1, 'Metadata v12 served again');
    t.equal(b.setKafkaVersion('3.9.1').version, '3.9', 'a patch release names its line');
    t.equal((await http('PUT', '/kafka-version', { version: '9.9' })).status, 400);
    b.setKafkaVersion(null);
  });

  await t.test('one API\'s range set or taken off, over HTTP and in process; kcat negotiates down', async (t) => {
    const set = await http('PUT', '/api-versions', { apiKey: 3, minVersion: 0, maxVersion: 9 });
    t.equal(set.status, 200);
    const av = await c.request(ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    t.same(av.apiKeys.filter((k) => k.apiKey === 3).map((k) => [k.minVersion, k.maxVersion]), [[0, 9]], 'Metadata 0-9 advertised');
    const other = await RawClient.connect(b.port);
    await t.rejects(other.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }), /connection closed/, 'v12 refused');
    other.close();
    const kcat = await run('kcat', ['-L', '-b', `127.0.0.1:${b.port}`, '-t', 'one']);
    t.equal(kcat.code, 0, `kcat lists the topic at a version it negotiated: ${kcat.stderr}`);
    t.match(kcat.stdout, /topic "one" with 1 partitions/);
    const off = b.setApiVersions(32, null);
    t.notOk(off.apis.some((a) => a.apiKey === 32), 'DescribeConfigs taken off');
    t.equal((await http('PUT', '/api-versions', { apiKey: 3, minVersion: 0, maxVersion: 99 })).status, 400, 'beyond what Sluice serves: refused');
    t.equal((await http('PUT', '/api-versions', { apiKey: 18, disabled: true })).status, 400, 'ApiVersions cannot be taken off');
    const cleared = await http('DELETE', '/api-versions');
    t.ok(cleared.json.apis.some((a: { apiKey: number }) => a.apiKey === 32), 'cleared: DescribeConfigs back');
    t.ok((await metadata(c)).brokers.length === 1, 'Metadata v12 served again');
  });

  await t.test('retention and a cleaner pass on demand', async (t) => {
    const made = await c.request(CreateTopics, 5, { topics: [{ name: 'old-records', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '3600000' }] }], timeoutMs: 5000, validateOnly: false });
    t.equal(made.topics[0]!.errorCode, 0);
    const dayAgo = BigInt(Date.now() - 24 * 3600 * 1000);
    const produced = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'old-records', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('old'), timestamp: dayAgo }], { timestampMs: dayAgo }) }] }] });
    t.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);
    t.equal(b.partitionState('old-records', 0)?.logStartOffset, 0);
    const r = await http('POST', '/log/retention');
    t.ok(r.json.segmentsDeleted >= 1, `retention ran now: ${JSON.stringify(r.json)}`);
    t.equal(b.partitionState('old-records', 0)?.logStartOffset, 1, 'the day-old record is gone');
    const cleaned = await http('POST', '/log/compact');
    t.equal(cleaned.status, 200);
    t.match(cleaned.json, { partitionsCleaned: Number, durationMs: Number });
  });

  await t.test('a removed version is noted once per client, in the log and over HTTP', async (t) => {
    for (let i = 0; i < 2; i++) {
      const old = await RawClient.connect(b.port);
      // Fetch v3: KIP-896 removed it; Sluice, like Kafka 4, does not serve it and closes the connection.
      await t.rejects(old.request(Fetch, 3, { clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '' }));
      old.close();
    }
    const notes = (await http('GET', '/kafka4-notes')).json;
    const raw = notes.find((n: any) => n.clientId === 'raw');
    t.ok(raw, 'the client is listed');
    const fetchNote = raw.notes.find((n: any) => /^Fetch v3 was removed/.test(n.note));
    t.ok(fetchNote, 'Fetch v3 noted');
    t.equal(fetchNote.count, 2, 'counted twice, listed once');
    t.ok(raw.notes.some((n: any) => /topic config message\.format\.version was removed/.test(n.note)), 'the removed topic config of the CreateTopics above is noted');
    t.same(b.kafka4Notes.list().length, notes.length, 'the same list in process');
    t.equal((await http('DELETE', '/kafka4-notes')).status, 204);
    t.same(b.kafka4Notes.list(), [], 'forgotten');
  });

  await t.test('a hidden broker is left out of Metadata, DescribeCluster and FindCoordinator', async (t) => {
    t.same((await http('POST', '/cluster/hide', { broker: b.nodeId })).json, { hiddenBrokers: [b.nodeId] });
    const md = await metadata(c);
    t.same(md.brokers, [], 'no brokers');
    const p = md.topics.find((x) => x.name === 'one')!.partitions[0]!;
    t.equal(p.leaderId, -1, 'the leader it led is unknown');
    t.equal(p.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
    const dc = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
    t.same(dc.brokers, []);
    const fc = await c.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['g'] });
    t.equal(fc.coordinators[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    t.same(b.hideBroker(b.nodeId, false), []);
    t.equal((await metadata(c)).brokers.length, 1, 'back');
  });

  await t.test('down: connections cut and refused; up: served again on the same port', async (t) => {
    const before = await RawClient.connect(b.port);
    t.same((await http('POST', '/cluster/down')).json, { nodeId: b.nodeId, down: true });
    await before.whenClosed;
    t.ok(before.closed, 'an open connection is cut');
    await t.rejects(RawClient.connect(b.port), /ECONNREFUSED/, 'new connections are refused');
    t.equal((await http('GET', '/cluster')).json.down, true);
    await b.up();
    const after = await RawClient.connect(b.port);
    t.equal((await metadata(after)).brokers.length, 1, 'answers again');
    after.close();
  });
});

t.test('sluice start --kafka-version 3.0 advertises 3.0; an unknown release is refused in one line', async (t) => {
  const dir = tmpDataDir('sluice-kafka-version-');
  t.teardown(dir.remove);
  const p = await spawnBroker({ dataDir: dir.dir, args: ['--kafka-version', '3.0'] });
  t.teardown(() => p.stop());
  const c = await RawClient.connect(p.port);
  const av = await c.request(ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  c.close();
  const r30 = new Map(KAFKA_RELEASES['3.0']!.apis.map(([k, lo, hi]) => [k, [lo, hi]]));
  t.ok(av.apiKeys.every((k) => r30.has(k.apiKey) && k.minVersion >= r30.get(k.apiKey)![0]! && k.maxVersion <= r30.get(k.apiKey)![1]!), 'every range inside 3.0\'s');
  t.same(av.apiKeys.find((k) => k.apiKey === 3), { apiKey: 3, minVersion: 0, maxVersion: 11 }, 'Metadata 0-11 as 3.0');
  const bad = await run(process.execPath, [CLI, 'start', '--port', '0', '--data-dir', dir.dir + '-x', '--kafka-version', '1.1']);
  t.not(bad.code, 0);
  t.match(bad.stderr, /--kafka-version 1\.1: not a recorded Kafka release; one of 2\.8, 3\.0/);
});
