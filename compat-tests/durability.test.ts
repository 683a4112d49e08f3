/**
 * Nothing acknowledged is lost: records produced with kafkajs survive a clean restart and a
 * `kill -9` in the middle of producing; the topic itself (id, partitions) survives too. Read back
 * with librdkafka after each restart. The kill -9 topic has 8 KiB segments (one or two produce requests each), so the broker rolls
 * many times while producing and is killed with rolled segments' background fsyncs in flight;
 * the restart then checks those segments (they are past the recovery point) and keeps them.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { b64, parseRecordLines, python, requireTool, spawnBroker, tmpDataDir } from './harness.js';

const kafkaFor = (bootstrap: string) => new Kafka({ clientId: 'compat-durability', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

t.before(() => requireTool('confluent_kafka'));

t.test('clean restart keeps topics and every acknowledged record', async (t) => {
  const data = tmpDataDir();
  t.teardown(data.remove);
  let broker = await spawnBroker({ dataDir: data.dir });
  const kafka = kafkaFor(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 6 }] });
  const idBefore = (await admin.fetchTopicMetadata({ topics: ['durable'] })).topics[0]!;
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const sent: string[] = [];
  for (let i = 0; i < 20; i++) {
    const messages = Array.from({ length: 50 }, (_, j) => ({ partition: (i * 50 + j) % 6, value: `r-${i * 50 + j}` }));
    await producer.send({ topic: 'durable', acks: -1, messages });
    sent.push(...messages.map((m) => m.value));
  }
  await producer.disconnect();
  t.equal(await broker.stop(), 0, 'SIGTERM exits 0');

  broker = await spawnBroker({ dataDir: data.dir });
  t.teardown(() => broker.stop());
  const admin2 = kafkaFor(broker.bootstrap).admin();
  await admin2.connect();
  const after = (await admin2.fetchTopicMetadata({ topics: ['durable'] })).topics[0]!;
  t.equal(after.partitions.length, 6, 'partitions survive');
  t.same(after.partitions.map((p) => p.partitionId).sort(), idBefore.partitions.map((p) => p.partitionId).sort());
  const offsets = await admin2.fetchTopicOffsets('durable');
  t.equal(offsets.reduce((n, o) => n + Number(o.high), 0), 1000, 'high watermarks add up to the records sent');
  await admin2.disconnect();
  const read = parseRecordLines((await python('ck_read.py', [broker.bootstrap, 'durable', '6'])).stdout);
  t.same(read.map((r) => Buffer.from(r.value!, 'base64').toString()).sort(), [...sent].sort(), 'every record is back');
  t.match(broker.output(), /ready in/);
});

t.test('kill -9 during produce loses no acknowledged record', async (t) => {
  const data = tmpDataDir();
  t.teardown(data.remove);
  let broker = await spawnBroker({ dataDir: data.dir });
  const kafka = new Kafka({ clientId: 'compat-kill', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'crashy', numPartitions: 6, configEntries: [{ name: 'internal.segment.bytes', value: '8192' }] }] });
  await admin.disconnect();
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();

  // Every acknowledged record, by `${partition}:${offset}`, as the reader script prints it.
  const acked = new Map<string, string>();
  const asRead = (partition: number, offset: number, key: string, value: string, header: string, timestamp: number): string =>
    JSON.stringify({ partition, offset, key: b64(key), value: b64(value), headers: [['h', b64(header)]], timestamp });
  let stop = false;
  let sentRequests = 0;
  let sendError: unknown = null;
  const baseTs = Date.now() - 1_000_000;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const partition = i % 6;
      const messages = Array.from({ length: 20 }, (_, j) => ({
        partition,
        key: `key-${i}-${j}`,
        value: `k-${i}-${j}-${'p'.repeat(200)}`,
        headers: { h: `hv-${i}-${j}` },
        timestamp: String(baseTs + i * 20 + j),
      }));
      try {
        const [res] = await producer.send({ topic: 'crashy', acks: 1, messages });
        const base = Number(res!.baseOffset);
        messages.forEach((m, j) => acked.set(`${partition}:${base + j}`, asRead(partition, base + j, m.key, m.value, m.headers.h, Number(m.timestamp))));
        sentRequests++;
      } catch (e) {
        sendError = e;
        return;
      }
    }
  })();
  while (sentRequests < 50 && sendError === null) await new Promise((r) => setTimeout(r, 20));
  t.equal(sendError, null, 'every send before the kill succeeded');
  await broker.kill9();
  stop = true;
  await loop;
  await producer.disconnect().catch(() => {});
  t.ok(acked.size >= 1000, `${acked.size} records acknowledged before the kill`);

  broker = await spawnBroker({ dataDir: data.dir });
  t.teardown(() => broker.stop());
  const read = parseRecordLines((await python('ck_read.py', [broker.bootstrap, 'crashy', '6'])).stdout);
  const got = new Map(read.map((r) => [`${r.partition}:${r.offset}`, JSON.stringify(r)]));
  let missing = 0;
  for (const [k, v] of acked) {
    if (got.get(k) !== v && missing++ < 3) t.fail(`record ${k} differs after kill -9`, { got: got.get(k), expected: v });
  }
  t.equal(missing, 0, 'every acknowledged record is at its acknowledged offset with its key, value, headers and timestamp');
  t.ok(read.length >= acked.size, 'nothing acknowledged is missing (unacknowledged records may also be there)');
  const segments = readdirSync(join(data.dir, 'crashy-0')).filter((n) => n.endsWith('.log')).length;
  t.ok(segments > 5, `partition 0 has ${segments} segments: the run rolled while producing`);
});
