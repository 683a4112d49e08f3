/**
 * Idempotent producers with real clients: kafkajs retries produce requests whose answers a
 * fault-injecting proxy swallowed (the broker had already appended them), and no record is
 * written twice; confluent-kafka-python with enable.idempotence writes every record once, in order.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { b64, parseRecordLines, python, requireTool, spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { startFaultProxy } from './fault-proxy.js';

const PRODUCE = 0;
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

t.test('kafkajs idempotent producer: retries of applied requests write nothing twice', async (t) => {
  // Swallow the answer of every third produce request, after the broker has appended it.
  const proxy = await startFaultProxy(broker.port, (apiKey, nth) => apiKey === PRODUCE && nth % 3 === 1);
  t.teardown(() => proxy.close());
  const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'idem-kjs', numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sent: string[] = [];
  for (let i = 0; i < 30; i++) {
    const messages = Array.from({ length: 10 }, (_, j) => ({ partition: i % 3, value: `v-${i}-${j}` }));
    await producer.send({ topic: 'idem-kjs', acks: -1, messages });
    sent.push(...messages.map((m) => m.value));
  }
  await producer.disconnect();
  t.ok(proxy.dropped >= 5, `${proxy.dropped} produce answers were swallowed, forcing retries`);
  const read = parseRecordLines((await python('ck_read.py', [broker.bootstrap, 'idem-kjs', '3'])).stdout);
  const values = read.map((r) => Buffer.from(r.value!, 'base64').toString());
  t.equal(values.length, sent.length, 'exactly as many records as were sent');
  t.same([...values].sort(), [...sent].sort(), 'every record once');
  for (let p = 0; p < 3; p++) {
    const inPartition = read.filter((r) => r.partition === p).map((r) => Buffer.from(r.value!, 'base64').toString());
    t.same(inPartition, sent.filter((v) => Number(v.split('-')[1]) % 3 === p), `partition ${p} in send order`);
  }
});

t.test('confluent-kafka-python with enable.idempotence writes every record once, in order', async (t) => {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'idem-ck', numPartitions: 2 }] });
  await admin.disconnect();
  const records = Array.from({ length: 3000 }, (_, i) => ({ partition: i % 2, key: b64(`k${i}`), value: b64(`v${i}`), headers: [], timestamp: Date.now() }));
  const out = await python('ck_produce.py', [broker.bootstrap, 'idem-ck', '--idempotent'], { input: records.map((r) => JSON.stringify(r)).join('\n') });
  t.equal(out.stdout.trim().split('\n').length, 3000);
  const read = parseRecordLines((await python('ck_read.py', [broker.bootstrap, 'idem-ck', '2'])).stdout);
  for (const p of [0, 1]) {
    t.same(read.filter((r) => r.partition === p).map((r) => r.value), records.filter((r) => r.partition === p).map((r) => r.value), `partition ${p}`);
  }
});
