/**
 * Live configuration, record deletion and retention over the wire: AlterConfigs,
 * IncrementalAlterConfigs, DescribeConfigs sources, DeleteRecords, DescribeLogDirs, and a
 * retention pass that a consumer sees as OFFSET_OUT_OF_RANGE.
 */
import t from 'tap';
import { undocumentedConfigs } from '../config/documentation.js';
import { startBroker, type RunningBroker } from '../index.js';
import { buildRecordBatch } from '../log/record-batch.js';
import {
  AlterConfigs,
  CreateTopics,
  DeleteRecords,
  DescribeConfigs,
  DescribeLogDirs,
  Fetch,
  IncrementalAlterConfigs,
  ListOffsets,
  Produce,
} from '../protocol/generated/index.js';
import { fetchRequest, RawClient } from '../../compat-tests/raw-client.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const data = tmpDataDir('sluice-configs-');
let broker: RunningBroker;
let c: RawClient;
const ZERO = Buffer.alloc(16);

async function start(): Promise<void> {
  broker = await startBroker({ port: 0, dataDir: data.dir, overrides: ['log.retention.check.interval.ms=100'] });
  c = await RawClient.connect(broker.port);
}
t.before(start);
t.teardown(async () => {
  c?.close();
  await broker?.stop();
  data.remove();
});

const create = (name: string, configs: Array<{ name: string; value: string }> = []) =>
  c.request(CreateTopics, 4, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs }], timeoutMs: 1000, validateOnly: false }).then((r) => r.topics[0]!.errorCode);

const incremental = (resourceType: number, resourceName: string, configs: Array<[string, number, string | null]>, validateOnly = false) =>
  c
    .request(IncrementalAlterConfigs, 1, { resources: [{ resourceType, resourceName, configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) }], validateOnly })
    .then((r) => r.responses[0]!);

const describe = async (resourceType: number, resourceName: string, key: string) =>
  (await c.request(DescribeConfigs, 3, { resources: [{ resourceType, resourceName, configurationKeys: [key] }], includeSynonyms: true, includeDocumentation: false })).results[0]!.configs[0]!;

const produce = (topic: string, values: string[], timestamp?: bigint) =>
  c
    .request(Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, topicId: ZERO, partitionData: [{ index: 0, records: buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v), ...(timestamp ? { timestamp } : {}) }))) }] }] })
    .then((r) => r.responses[0]!.partitionResponses[0]!);

const earliest = (topic: string) =>
  c.request(ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }], timeoutMs: 0 }).then((r) => r.topics[0]!.partitions[0]!.offset);

t.test('IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on a topic, with sources', async (t) => {
  t.equal(await create('cfg'), 0);
  t.equal((await incremental(2, 'cfg', [['retention.ms', 0, '12345']])).errorCode, 0);
  const set = await describe(2, 'cfg', 'retention.ms');
  t.same([set.value, set.configSource], ['12345', 1], 'DYNAMIC_TOPIC_CONFIG');
  t.equal((await incremental(2, 'cfg', [['retention.ms', 1, null]])).errorCode, 0);
  const deleted = await describe(2, 'cfg', 'retention.ms');
  t.same([deleted.value, deleted.configSource], ['604800000', 5], 'back to the default');
  t.equal((await incremental(2, 'cfg', [['cleanup.policy', 2, 'compact']])).errorCode, 0);
  t.equal((await describe(2, 'cfg', 'cleanup.policy')).value, 'delete,compact', 'APPEND to the effective list');
  t.equal((await incremental(2, 'cfg', [['cleanup.policy', 3, 'delete']])).errorCode, 0);
  t.equal((await describe(2, 'cfg', 'cleanup.policy')).value, 'compact', 'SUBTRACT');
  t.match(await incremental(2, 'cfg', [['retention.ms', 2, '5']]), { errorCode: 40, errorMessage: /append is not allowed/ });
  t.match(await incremental(2, 'cfg', [['no.such', 0, '1']]), { errorCode: 40, errorMessage: /Unknown topic config/ });
  t.match(await incremental(2, 'cfg', [['retention.ms', 0, 'soon']]), { errorCode: 40, errorMessage: /Invalid value soon/ });
  t.match(await incremental(2, 'cfg', [['retention.ms', 0, '1'], ['retention.ms', 1, null]]), { errorCode: 42 });
  t.equal((await incremental(2, 'nope', [['retention.ms', 0, '1']])).errorCode, 3);
  t.equal((await incremental(2, 'cfg', [['retention.ms', 0, '777']], true)).errorCode, 0);
  t.equal((await describe(2, 'cfg', 'retention.ms')).configSource, 5, 'validate_only changed nothing');
});

t.test('AlterConfigs replaces every override of the resource', async (t) => {
  t.equal(await create('replace', [{ name: 'retention.ms', value: '1000' }, { name: 'segment.ms', value: '2000' }]), 0);
  const res = await c.request(AlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'replace', configs: [{ name: 'segment.ms', value: '3000' }] }], validateOnly: false });
  t.equal(res.responses[0]!.errorCode, 0);
  t.same([(await describe(2, 'replace', 'segment.ms')).value, (await describe(2, 'replace', 'retention.ms')).configSource], ['3000', 5], 'retention.ms went back to the default');
});

t.test('dynamic broker configs: cluster default, then this broker, over the static value', async (t) => {
  t.equal(await create('bcfg'), 0);
  t.equal((await incremental(4, '', [['log.retention.ms', 0, '111']])).errorCode, 0);
  let d = await describe(2, 'bcfg', 'retention.ms');
  t.same([d.value, d.configSource], ['111', 3], 'DYNAMIC_DEFAULT_BROKER_CONFIG');
  t.equal((await incremental(4, String(broker.nodeId), [['log.retention.ms', 0, '222']])).errorCode, 0);
  d = await describe(2, 'bcfg', 'retention.ms');
  t.same([d.value, d.configSource], ['222', 2], 'DYNAMIC_BROKER_CONFIG wins');
  t.same(d.synonyms.map((s) => [s.name, s.value, s.source]), [['log.retention.ms', '222', 2], ['log.retention.ms', '111', 3], ['log.retention.hours', '168', 5]], 'each level by its broker property, as Kafka lists them');
  const cluster = (await c.request(DescribeConfigs, 3, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0]!;
  t.same(cluster.configs.map((x) => [x.name, x.value]), [['log.retention.ms', '111'], ['min.insync.replicas', '1']], 'the cluster defaults (min.insync.replicas recorded at first start, as Kafka 4 does)');
  t.match(await incremental(4, '', [['num.partitions', 0, '3']]), { errorCode: 42, errorMessage: 'Cannot update these configs dynamically: Set(num.partitions)' });
  t.match(await incremental(4, '', [['log.retention.hours', 0, '3']]), { errorCode: 42 }, 'only the first broker synonym of a topic config is dynamic');
  t.match(await incremental(4, '', [['log.segment.bytes', 0, '4096']]), { errorCode: 42, errorMessage: /Invalid value 4096 for configuration log.segment.bytes/ }, 'KIP-1030 minimum');
  t.match(await incremental(4, '', [['min.insync.replicas', 1, null]]), { errorCode: 40, errorMessage: /cannot be removed/ });
  t.equal((await incremental(4, '', [['background.threads', 0, '4']])).errorCode, 0, 'a dynamic config Sluice stores without acting on it');
  const bg = await c.request(DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: String(broker.nodeId), configurationKeys: ['background.threads'] }], includeSynonyms: true, includeDocumentation: false });
  t.same(bg.results[0]!.configs.map((x) => [x.value, x.configSource, x.readOnly, x.synonyms.map((s) => [s.value, s.source])]), [['4', 3, false, [['4', 3], ['10', 5]]]]);
  t.equal((await incremental(4, '', [['background.threads', 1, null]])).errorCode, 0);
  t.equal((await incremental(4, '7', [['log.retention.ms', 0, '1']])).errorCode, 42, 'another broker id');
  t.equal((await incremental(4, String(broker.nodeId), [['log.retention.ms', 1, null]])).errorCode, 0);
  t.equal((await incremental(4, '', [['log.retention.ms', 1, null]])).errorCode, 0);
});

t.test('segment.bytes below 1 MiB is refused (KIP-1030); internal.segment.bytes is the way around', async (t) => {
  t.equal(await create('seg-small', [{ name: 'segment.bytes', value: '1048575' }]), 40, 'INVALID_CONFIG');
  t.equal(await create('seg-ok', [{ name: 'segment.bytes', value: '1048576' }]), 0);
  t.match(await incremental(2, 'seg-ok', [['segment.bytes', 0, '4096']]), { errorCode: 40, errorMessage: 'Invalid value 4096 for configuration segment.bytes: Value must be at least 1048576' });
  t.equal((await incremental(2, 'seg-ok', [['internal.segment.bytes', 0, '4096']])).errorCode, 0);
  t.same([(await describe(2, 'seg-ok', 'internal.segment.bytes')).value, (await describe(2, 'seg-ok', 'internal.segment.bytes')).configSource], ['4096', 1]);
});

t.test('replication throttle topic configs: * or partition:broker pairs', async (t) => {
  t.equal(await create('thr', [{ name: 'leader.replication.throttled.replicas', value: '*' }, { name: 'follower.replication.throttled.replicas', value: '0:1, 1:1' }]), 0);
  t.equal(await create('thr-bad', [{ name: 'leader.replication.throttled.replicas', value: '*,0:1' }]), 40);
  t.match(await incremental(2, 'thr', [['follower.replication.throttled.replicas', 0, '0:x']]), { errorCode: 40, errorMessage: /must be the literal '\*' or a list of replicas/ });
  const d = await describe(2, 'thr', 'follower.replication.throttled.replicas');
  t.same([d.value, d.configSource, d.configType, d.synonyms.length], ['0:1, 1:1', 1, 7, 1]);
  t.same((await describe(2, 'cfg', 'leader.replication.throttled.replicas')).synonyms, [], 'unset: no synonyms, as Kafka');
});

t.test('DescribeConfigs documentation: every config has some, returned only when asked (v3+)', async (t) => {
  t.same(undocumentedConfigs(), []);
  const ask = async (includeDocumentation: boolean) =>
    (await c.request(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: null }, { resourceType: 4, resourceName: String(broker.nodeId), configurationKeys: null }], includeSynonyms: false, includeDocumentation })).results;
  const withDocs = await ask(true);
  t.ok(withDocs.every((r) => r.configs.length > 0 && r.configs.every((x) => typeof x.documentation === 'string' && x.documentation.length > 0)), 'all documented');
  t.match(withDocs[1]!.configs.find((x) => x.name === 'log.segment.bytes')!.documentation, /^Default of topic config segment.bytes:/);
  t.ok((await ask(false)).every((r) => r.configs.every((x) => x.documentation === null)), 'null when not asked');
});

t.test('DeleteRecords moves the low watermark; DescribeLogDirs reports sizes', async (t) => {
  t.equal(await create('del'), 0);
  for (let i = 0; i < 5; i++) await produce('del', [`a${i}`, `b${i}`]);
  const del = (offset: bigint, topic = 'del') =>
    c.request(DeleteRecords, 1, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 1000 }).then((r) => r.topics[0]!.partitions[0]!);
  t.same([(await del(3n)).lowWatermark, (await del(3n)).errorCode], [3n, 0]);
  t.equal(await earliest('del'), 3n, 'ListOffsets earliest follows');
  t.equal((await del(99n)).errorCode, 1, 'past the high watermark');
  t.same([(await del(-1n)).lowWatermark], [10n], '-1: up to the high watermark');
  t.equal((await del(1n, '__consumer_offsets')).errorCode, 17, 'internal topics refused');
  const dirs = await c.request(DescribeLogDirs, 4, { topics: [{ topic: 'del', partitions: [0] }] });
  t.equal(dirs.results[0]!.logDir, broker.dataDir);
  t.ok(dirs.results[0]!.topics[0]!.partitions[0]!.partitionSize > 0n);
  t.ok(dirs.results[0]!.totalBytes > 0n && dirs.results[0]!.usableBytes > 0n);
});

t.test('a retention change applies live: old segments go and fetches below the start are out of range', async (t) => {
  t.equal(await create('ret', [{ name: 'internal.segment.bytes', value: '200' }]), 0);
  const old = BigInt(Date.now() - 3_600_000);
  for (let i = 0; i < 6; i++) await produce('ret', [`old-${i}`], old);
  await produce('ret', ['new'], BigInt(Date.now()));
  t.equal(await earliest('ret'), 0n, 'default retention keeps everything');
  t.equal((await incremental(2, 'ret', [['retention.ms', 0, '60000']])).errorCode, 0);
  let start = 0n;
  for (let i = 0; i < 50 && start === 0n; i++) {
    await new Promise((r) => setTimeout(r, 50));
    start = await earliest('ret');
  }
  t.ok(start > 0n && start <= 6n, `the log start moved to ${start}`);
  const fetched = await c.request(Fetch, 11, fetchRequest('ret', 0, 0n));
  // Out of range carries no watermarks (-1), as Kafka answers it; the start is ListOffsets' to tell.
  t.same([fetched.responses[0]!.partitions[0]!.errorCode, fetched.responses[0]!.partitions[0]!.logStartOffset], [1, -1n], 'OFFSET_OUT_OF_RANGE below the new start');
});

t.test('a compacted topic refuses records without a key', async (t) => {
  t.equal(await create('compacted', [{ name: 'cleanup.policy', value: 'compact' }]), 0);
  t.equal((await produce('compacted', ['no-key'])).errorCode, 87, 'INVALID_RECORD');
  const keyed = await c.request(Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'compacted', topicId: ZERO, partitionData: [{ index: 0, records: buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }]) }] }] });
  t.equal(keyed.responses[0]!.partitionResponses[0]!.errorCode, 0, 'a keyed record is taken');
  t.equal((await incremental(2, 'compacted', [['cleanup.policy', 0, 'delete']])).errorCode, 0);
  t.equal((await produce('compacted', ['no-key'])).errorCode, 0, 'back to delete: keyless records are fine');
});

t.test('configs and the DeleteRecords start survive a restart', async (t) => {
  await incremental(4, '', [['log.segment.bytes', 0, '2097152']]);
  c.close();
  await broker.stop();
  await start();
  t.equal((await describe(2, 'replace', 'segment.ms')).value, '3000');
  t.same([(await describe(2, 'cfg', 'segment.bytes')).value, (await describe(2, 'cfg', 'segment.bytes')).configSource], ['2097152', 3]);
  t.equal(await earliest('del'), 10n);
});
