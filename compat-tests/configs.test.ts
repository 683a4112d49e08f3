/**
 * Configs, record deletion and retention with real clients: kafkajs describeConfigs,
 * alterConfigs and deleteTopicRecords; confluent-kafka-python and kafka-python describe_configs
 * and alter_configs; retention observed by consumers with auto.offset.reset=earliest.
 * (IncrementalAlterConfigs is sent by none of the installed clients — confluent-kafka-python
 * gained it in 2.2, Debian ships 1.7 — so it is covered over the wire in src/api/configs.test.ts.)
 */
import t from 'tap';
import { Kafka, logLevel, type ConfigResourceTypes } from 'kafkajs';
import { parseRecordLines, python, requireTool, spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';

/** kafkajs's TOPIC (a CommonJS enum that ESM cannot import by name). */
const TOPIC = 2 as ConfigResourceTypes;

let broker: BrokerProcess;
const data = tmpDataDir();

t.before(async () => {
  requireTool('confluent_kafka');
  requireTool('kafka');
  broker = await spawnBroker({ dataDir: data.dir, args: ['--override', 'log.retention.check.interval.ms=200'] });
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

const kafka = () => new Kafka({ clientId: 'compat-configs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

t.test('kafkajs: describeConfigs, alterConfigs, deleteTopicRecords', async (t) => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'cfg-kjs', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC, name: 'cfg-kjs' }] });
    const entries = new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e]));
    t.same([entries.get('retention.ms')?.configValue, entries.get('retention.ms')?.isDefault], ['86400000', false]);
    t.same([entries.get('cleanup.policy')?.configValue, entries.get('cleanup.policy')?.isDefault], ['delete', true]);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'cfg-kjs', configEntries: [{ name: 'max.message.bytes', value: '5000' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC, name: 'cfg-kjs', configNames: ['max.message.bytes', 'retention.ms'] }] });
    const a = new Map(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    t.same([a.get('max.message.bytes'), a.get('retention.ms')], ['5000', '604800000'], 'AlterConfigs replaced the overrides');
    await t.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'cfg-kjs', configEntries: [{ name: 'retention.ms', value: 'forever' }] }] }),
      { message: 'Configuration is invalid', type: 'INVALID_CONFIG' },
      'a bad value is refused (kafkajs shows its own text for the code)',
    );
    const producer = kafka().producer();
    await producer.connect();
    await t.rejects(producer.send({ topic: 'cfg-kjs', messages: [{ partition: 0, value: 'x'.repeat(6000) }] }), /larger than the max message size/, 'the new max.message.bytes applies live');
    await producer.send({ topic: 'cfg-kjs', messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `v${i}` })) });
    await producer.disconnect();
    await admin.deleteTopicRecords({ topic: 'cfg-kjs', partitions: [{ partition: 0, offset: '4' }] });
    const offsets = await admin.fetchTopicOffsets('cfg-kjs');
    t.same(offsets.find((o) => o.partition === 0), { partition: 0, offset: '10', high: '10', low: '4' }, 'the low watermark moved');
    const read = parseRecordLines((await python('ck_read.py', [broker.bootstrap, 'cfg-kjs', '2'])).stdout);
    t.same(read.filter((r) => r.partition === 0).map((r) => r.offset), [4, 5, 6, 7, 8, 9], 'a reader from the beginning starts at the new start');
  } finally {
    await admin.disconnect();
  }
});

t.test('confluent-kafka-python and kafka-python: describe_configs and alter_configs', async (t) => {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'cfg-py' }] });
  await admin.disconnect();
  const ck = JSON.parse((await python('ck_admin.py', [broker.bootstrap, 'describe', 'cfg-py'])).stdout) as Record<string, { value: string; source: number; default: boolean }>;
  t.same(ck['segment.bytes'], { value: '1073741824', source: 5, default: true }, 'librdkafka reads value and source');
  await python('ck_admin.py', [broker.bootstrap, 'alter', 'cfg-py', 'retention.ms=3600000', 'cleanup.policy=compact,delete']);
  const ck2 = JSON.parse((await python('ck_admin.py', [broker.bootstrap, 'describe', 'cfg-py'])).stdout) as Record<string, { value: string; source: number }>;
  t.same([ck2['retention.ms']?.value, ck2['retention.ms']?.source, ck2['cleanup.policy']?.value], ['3600000', 1, 'compact,delete']);
  const kp = JSON.parse((await python('kp_admin.py', [broker.bootstrap, 'describe', 'cfg-py'])).stdout) as Record<string, string>;
  t.same([kp['retention.ms'], kp['cleanup.policy']], ['3600000', 'compact,delete'], 'kafka-python sees the same');
  const alt = JSON.parse((await python('kp_admin.py', [broker.bootstrap, 'alter', 'cfg-py', 'retention.ms=7200000'])).stdout) as { errors: number[] };
  t.same(alt.errors, [0]);
  const ck3 = JSON.parse((await python('ck_admin.py', [broker.bootstrap, 'describe', 'cfg-py'])).stdout) as Record<string, { value: string; source: number }>;
  t.same([ck3['retention.ms']?.value, ck3['cleanup.policy']?.source], ['7200000', 5], 'kafka-python AlterConfigs replaced them all');
});

t.test('retention observed by consumers: an earliest reader starts after the deleted segments', async (t) => {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'ret-obs', configEntries: [{ name: 'internal.segment.bytes', value: '500' }] }] });
  const producer = kafka().producer();
  await producer.connect();
  const old = Date.now() - 3_600_000;
  for (let i = 0; i < 20; i++) await producer.send({ topic: 'ret-obs', messages: [{ value: `old-${i}`, timestamp: String(old) }] });
  for (let i = 0; i < 3; i++) await producer.send({ topic: 'ret-obs', messages: [{ value: `new-${i}` }] });
  await producer.disconnect();
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'ret-obs', configEntries: [{ name: 'internal.segment.bytes', value: '500' }, { name: 'retention.ms', value: '60000' }] }] });
  let low = '0';
  for (let i = 0; i < 100 && low === '0'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    low = (await admin.fetchTopicOffsets('ret-obs'))[0]!.low;
  }
  await admin.disconnect();
  t.ok(Number(low) > 0 && Number(low) <= 20, `retention moved the start to ${low}`);
  const values = (lines: string) => parseRecordLines(lines).map((r) => Buffer.from(r.value!, 'base64').toString());
  const ck = values((await python('ck_read.py', [broker.bootstrap, 'ret-obs', '1'])).stdout);
  const kp = values((await python('kp_read.py', [broker.bootstrap, 'ret-obs', '1'])).stdout);
  t.same(ck.slice(-3), ['new-0', 'new-1', 'new-2'], 'the new records are all there');
  t.equal(ck.length, 23 - Number(low), 'librdkafka reads from the new start');
  t.same(kp, ck, 'kafka-python reads the same');
  // A group consumer with auto.offset.reset=earliest (kafkajs fromBeginning) also starts there.
  const consumer = kafka().consumer({ groupId: 'ret-reader', maxWaitTimeInMs: 200 });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'ret-obs', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  for (let i = 0; i < 100 && seen.length < ck.length; i++) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  t.same(seen, ck);
});
