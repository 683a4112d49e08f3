/**
 * Reserved and internal topic names, with real clients against a real broker process (issue 10,
 * finding 1). `__cluster_metadata` is the metadata log, not a topic: no request may create, write
 * or delete it, and the broker restarts with its topics whatever clients tried. The coordinators'
 * topics (`__consumer_offsets`, `__transaction_state`) may be created by a client, as in Kafka,
 * but always as their coordinator would create them: compacted, so retention never deletes
 * committed offsets.
 */
import t from 'tap';
import { Kafka, logLevel, type ConfigResourceTypes } from 'kafkajs';
import { CreateTopics, DeleteTopics, Metadata, Produce } from '../src/protocol/generated/index.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { freePort, requireTool, run, spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient } from './raw-client.js';

const TOPIC = 2 as ConfigResourceTypes;
const data = tmpDataDir();
let port: number;
let broker: BrokerProcess;
const args = ['--override', 'log.retention.check.interval.ms=100', '--override', 'offsets.topic.num.partitions=3'];

t.before(async () => {
  requireTool('kcat');
  port = await freePort();
  broker = await spawnBroker({ dataDir: data.dir, port, args });
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

const kafka = () => new Kafka({ clientId: 'compat-internal', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

async function restart(): Promise<void> {
  t.equal(await broker.stop(), 0, 'clean shutdown');
  broker = await spawnBroker({ dataDir: data.dir, port, args });
}

function createReq(name: string, configs: Array<{ name: string; value: string }> = [], numPartitions = 1) {
  return { topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs }], timeoutMs: 5000, validateOnly: false };
}

t.test('__cluster_metadata cannot be created, auto-created, written or deleted; the broker restarts intact', async (t) => {
  const c = await RawClient.connect(broker.port);
  try {
    const kept = await c.request(CreateTopics, 7, createReq('kept-topic'));
    t.equal(kept.topics[0]!.errorCode, ErrorCode.NONE);

    const created = await c.request(CreateTopics, 7, createReq('__cluster_metadata'));
    t.equal(created.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'CreateTopics: INVALID_REQUEST, as Kafka');
    t.match(created.topics[0]!.errorMessage, /Creation of internal topic __cluster_metadata is prohibited/);

    const md = await c.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: '__cluster_metadata' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    t.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Metadata does not auto-create it');

    const batch = buildRecordBatch([{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }]);
    const produced = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: '__cluster_metadata', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch }] }] });
    t.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Produce: no such partition');

    const deleted = await c.request(DeleteTopics, 6, { topics: [{ name: '__cluster_metadata', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 5000 });
    t.equal(deleted.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'DeleteTopics: no such topic');
  } finally {
    c.close();
  }

  // What the issue reproduced: kcat producing to the name (auto-creation) used to make the metadata
  // log a user topic, and the next start died.
  const kcat = await run('kcat', ['-P', '-b', broker.bootstrap, '-t', '__cluster_metadata', '-X', 'message.timeout.ms=1500'], { input: 'x\n', timeoutMs: 20000 });
  t.not(kcat.code, 0, `kcat's produce fails: ${kcat.stderr.trim().split('\n').pop()}`);

  await restart();
  const admin = kafka().admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    t.ok(topics.includes('kept-topic'), 'the topic created before is still there after a restart');
    t.notOk(topics.includes('__cluster_metadata'), 'no topic named __cluster_metadata');
  } finally {
    await admin.disconnect();
  }
});

t.test('__consumer_offsets pre-created with retention.ms=1000 stays compacted; offsets survive retention and a restart', async (t) => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: '__consumer_offsets', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    const md = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    t.equal(md.topics[0]!.partitions.length, 3, 'partitions from offsets.topic.num.partitions, as its coordinator creates it');
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC, name: '__consumer_offsets', configNames: ['cleanup.policy', 'retention.ms'] }] });
    const entries = new Map(cfg.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    t.equal(entries.get('cleanup.policy'), 'compact');
    t.equal(entries.get('retention.ms'), '1000');

    await admin.createTopics({ topics: [{ topic: 'offsets-kept', numPartitions: 1 }] });
    await admin.setOffsets({ groupId: 'g-kept', topic: 'offsets-kept', partitions: [{ partition: 0, offset: '42' }] });
    // Several retention checks pass (every 100 ms) after the commit is older than retention.ms.
    await new Promise((r) => setTimeout(r, 2500));
    await restart();
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const admin2 = kafka().admin();
  await admin2.connect();
  try {
    const offsets = await admin2.fetchOffsets({ groupId: 'g-kept', topics: ['offsets-kept'] });
    t.equal(offsets[0]!.partitions[0]!.offset, '42', 'the committed offset is still there');
  } finally {
    await admin2.disconnect();
  }
});

t.test('the coordinators\' topics refuse cleanup.policy=delete; Produce to them is refused', async (t) => {
  const c = await RawClient.connect(broker.port);
  try {
    const created = await c.request(CreateTopics, 7, createReq('__transaction_state', [{ name: 'cleanup.policy', value: 'delete' }]));
    t.equal(created.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG);
    t.match(created.topics[0]!.errorMessage, /must keep cleanup.policy=compact/);
  } finally {
    c.close();
  }
  const admin = kafka().admin();
  await admin.connect();
  try {
    const refused = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: '__consumer_offsets', configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }] })
      .then(() => null, (e: { type?: string }) => e.type);
    t.equal(refused, 'INVALID_CONFIG', 'AlterConfigs cannot make __consumer_offsets deletable');
    // AlterConfigs replaces every config: without cleanup.policy the topic keeps its own (compact),
    // not the broker's default (delete).
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: '__consumer_offsets', configEntries: [{ name: 'retention.ms', value: '5000' }] }] });
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC, name: '__consumer_offsets', configNames: ['cleanup.policy'] }] });
    t.equal(cfg.resources[0]!.configEntries[0]!.configValue, 'compact');
  } finally {
    await admin.disconnect();
  }
  const kcat = await run('kcat', ['-P', '-b', broker.bootstrap, '-t', '__consumer_offsets', '-p', '0', '-X', 'message.timeout.ms=3000'], { input: 'x\n', timeoutMs: 20000 });
  t.not(kcat.code, 0, 'kcat cannot write into __consumer_offsets');
  t.match(kcat.stderr, /internal topic|Invalid topic|INVALID_TOPIC/i, 'with Kafka\'s error');
});
