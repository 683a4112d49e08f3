/**
 * kafkajs 2.2.4 against a real `sluice start` process: admin topic calls and the producer on a
 * 6-partition topic, every record read back by librdkafka (confluent-kafka-python, assign mode)
 * and compared field by field.
 */
import t, { type Test } from 'tap';
import { CompressionTypes, Kafka, logLevel, type Message } from 'kafkajs';
import { b64, parseRecordLines, python, requireTool, spawnBroker, tmpDataDir, type BrokerProcess, type ReadRecord } from './harness.js';

interface Sent {
  partition: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp: number;
}

function toMessage(s: Sent): Message {
  return {
    partition: s.partition,
    key: s.key === null ? null : Buffer.from(s.key, 'base64'),
    value: s.value === null ? null : Buffer.from(s.value, 'base64'),
    headers: Object.fromEntries(s.headers.map(([k, v]) => [k, v === null ? '' : Buffer.from(v, 'base64')])),
    timestamp: String(s.timestamp),
  };
}

function makeRecords(n: number, partitions: number, tag: string, baseTs: number): Sent[] {
  const out: Sent[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      partition: i % partitions,
      key: i % 5 === 0 ? null : b64(`${tag}-key-${i}`),
      value: i % 7 === 3 ? null : b64(`${tag}-value-${i}-${'x'.repeat(i % 50)}`),
      headers: i % 3 === 0 ? [['h1', b64(`hv-${i}`)], ['empty', b64('')]] : [],
      timestamp: baseTs + i,
    });
  }
  return out;
}

/** Checks that `read` holds exactly `sent`, in send order within each partition. */
export function assertSameRecords(t: Test, read: ReadRecord[], sent: Sent[], what: string): void {
  const byPartition = new Map<number, ReadRecord[]>();
  for (const r of read) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
  const sentBy = new Map<number, Sent[]>();
  for (const s of sent) sentBy.set(s.partition, [...(sentBy.get(s.partition) ?? []), s]);
  let mismatches = 0;
  for (const [p, list] of sentBy) {
    const got = byPartition.get(p) ?? [];
    if (got.length !== list.length) {
      t.fail(`${what}: partition ${p} has ${got.length} records, expected ${list.length}`);
      mismatches++;
      continue;
    }
    for (let i = 0; i < list.length; i++) {
      const g = got[i]!;
      const s = list[i]!;
      const same =
        g.key === s.key && g.value === s.value && g.timestamp === s.timestamp && JSON.stringify(g.headers) === JSON.stringify(s.headers) && (i === 0 || g.offset > got[i - 1]!.offset);
      if (!same && mismatches++ < 5) t.fail(`${what}: partition ${p} record ${i} differs`, { got: g, expected: s });
    }
  }
  t.equal(mismatches, 0, `${what}: all ${sent.length} records equal and in order`);
}

let broker: BrokerProcess;
const data = tmpDataDir();

t.before(async () => {
  requireTool('confluent_kafka');
  broker = await spawnBroker({ dataDir: data.dir });
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

const kafkaFor = (b: BrokerProcess) => new Kafka({ clientId: 'compat-kafkajs', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

t.test('admin: create, list, describe and delete topics', async (t) => {
  const admin = kafkaFor(broker).admin();
  await admin.connect();
  try {
    t.equal(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 6 }, { topic: 'admin-b' }], waitForLeaders: true }), true);
    t.equal(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 6 }] }), false, 'creating an existing topic reports false');
    const names = await admin.listTopics();
    t.ok(names.includes('admin-a') && names.includes('admin-b'), 'both topics listed');
    const md = await admin.fetchTopicMetadata({ topics: ['admin-a', 'admin-b'] });
    const a = md.topics.find((x) => x.name === 'admin-a')!;
    t.equal(a.partitions.length, 6);
    t.same(a.partitions.map((p) => p.partitionId).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5]);
    t.ok(a.partitions.every((p) => p.leader === 1 && p.replicas.length === 1), 'this node leads every partition');
    t.equal(md.topics.find((x) => x.name === 'admin-b')!.partitions.length, 1, 'num.partitions default is 1');
    await t.rejects(admin.createTopics({ topics: [{ topic: 'bad/name' }] }), { errors: [{ type: 'INVALID_TOPIC_EXCEPTION' }] }, 'illegal topic name is refused');
    await t.rejects(admin.createTopics({ topics: [{ topic: 'rf3', replicationFactor: 3 }] }), { errors: [{ type: 'INVALID_REPLICATION_FACTOR' }] });
    await admin.deleteTopics({ topics: ['admin-b'] });
    t.notOk((await admin.listTopics()).includes('admin-b'), 'deleted topic is gone');
    const cluster = await admin.describeCluster();
    t.equal(cluster.controller, 1);
    t.equal(cluster.brokers.length, 1);
    t.match(cluster.clusterId, /^[A-Za-z0-9_-]{22}$/);
  } finally {
    await admin.disconnect();
  }
});

t.test('producer: send and sendBatch with keys, headers, nulls, gzip, acks 0/1/-1; offsets by time', async (t) => {
  const kafka = kafkaFor(broker);
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await admin.connect();
  await producer.connect();
  const topic = 'kjs-produce';
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
    const baseTs = Date.now() - 100_000;
    const all = makeRecords(600, 6, 'kjs', baseTs);
    const chunks = [all.slice(0, 100), all.slice(100, 200), all.slice(200, 300), all.slice(300, 400), all.slice(400, 600)];
    await producer.send({ topic, acks: -1, messages: chunks[0]!.map(toMessage) });
    await producer.send({ topic, acks: 1, compression: CompressionTypes.GZIP, messages: chunks[1]!.map(toMessage) });
    await producer.send({ topic, acks: 0, messages: chunks[2]!.map(toMessage) });
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: chunks[3]!.map(toMessage) }] });
    await producer.sendBatch({ acks: 1, compression: CompressionTypes.GZIP, topicMessages: [{ topic, messages: chunks[4]!.map(toMessage) }] });

    const offsets = await admin.fetchTopicOffsets(topic);
    t.same(
      offsets.map((o) => [o.partition, o.high, o.low] as const).sort((a, b) => a[0] - b[0]),
      [0, 1, 2, 3, 4, 5].map((p) => [p, '100', '0']),
      'every partition holds 100 records (acks=0 records included, sent before later requests on one connection)',
    );

    const read = parseRecordLines((await python('ck_read.py', [broker.bootstrap, topic, '6'])).stdout);
    assertSameRecords(t, read, all, 'librdkafka reading kafkajs records');

    // Record i is in partition i % 6 at offset floor(i / 6) with timestamp baseTs + i.
    const byTs = await admin.fetchTopicOffsetsByTimestamp(topic, baseTs + 60);
    t.same(
      byTs.map((o) => [o.partition, o.offset] as const).sort((a, b) => a[0] - b[0]),
      [0, 1, 2, 3, 4, 5].map((p) => [p, '10']),
      'offset of the first record at or after the timestamp, per partition',
    );
    const byTsMid = await admin.fetchTopicOffsetsByTimestamp(topic, baseTs + 61);
    t.equal(byTsMid.find((o) => o.partition === 0)!.offset, '11', 'a timestamp between records finds the next one');
    const past = await admin.fetchTopicOffsetsByTimestamp(topic, baseTs + 1_000_000);
    t.ok(past.every((o) => o.offset === '100'), 'a timestamp after every record gives the latest offset');
    await producer.disconnect();
    await admin.disconnect();

    t.equal(await broker.stop(), 0, 'clean stop');
    broker = await spawnBroker({ dataDir: data.dir });
    const again = parseRecordLines((await python('ck_read.py', [broker.bootstrap, topic, '6'])).stdout);
    assertSameRecords(t, again, all, 'after a clean restart');
    const admin2 = kafkaFor(broker).admin();
    await admin2.connect();
    const byTsAfter = await admin2.fetchTopicOffsetsByTimestamp(topic, baseTs + 60);
    t.ok(byTsAfter.every((o) => o.offset === '10'), 'time index answers the same after restart');
    await admin2.disconnect();
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

t.test('metadata auto-creates a topic on produce', async (t) => {
  const producer = kafkaFor(broker).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const res = await producer.send({ topic: 'kjs-auto', acks: -1, messages: [{ value: 'hello' }] });
    t.equal(res[0]!.errorCode, 0);
    t.equal(res[0]!.baseOffset, '0');
  } finally {
    await producer.disconnect();
  }
});
