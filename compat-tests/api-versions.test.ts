/**
 * The API versions the older clients negotiate with Sluice, for the README's compatibility table
 * beside the newest clients' (recorded by newest-clients.ts): Debian's kcat, python3-kafka and
 * python3-confluent-kafka, and kafkajs 2.2.4. Each client, through its own recording proxy, does a
 * short round (metadata, produce, read back, group consume with commits, admin describe configs
 * where it has one, a transaction where it has one); the test checks the round's results and
 * saves what the proxy saw into .cache/api-versions/<client>.json (api-versions-table.ts).
 */
import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startFaultProxy } from './fault-proxy.js';
import { PY_DIR, PYTHON, parseRecordLines, python, requireTool, run, spawnBroker, spawnWorker, stopBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';
import { VersionLog } from './newest-clients.js';

requireTool('kcat');
requireTool('kafka');
requireTool('confluent_kafka');

const data = tmpDataDir('sluice-apiversions-');
let broker: BrokerProcess;
t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir });
  const admin = new Kafka({ clientId: 'av-setup', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: ['av-kp', 'av-ck', 'av-ck-txn'].map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  await admin.disconnect();
});
t.teardown(async () => {
  await stopBroker(broker);
  data.remove();
});

/** Runs `round` against a recording proxy in front of the broker and saves what it saw. */
async function recorded(t: Test, name: string, label: string, round: (bootstrap: string) => Promise<void>): Promise<void> {
  const versions = new VersionLog();
  const proxy = await startFaultProxy(broker.port, () => false, (f) => versions.record(f));
  try {
    await round(`127.0.0.1:${proxy.port}`);
  } finally {
    await proxy.close();
  }
  t.ok(versions.seen.has(0) && versions.seen.has(1), 'the proxy saw Produce and Fetch');
  versions.save(name, label);
  t.comment(`API versions ${label}: ${JSON.stringify(versions.table())}`);
}

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const dpkgVersion = (pkg: string): string => spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).stdout.trim() || '?';

async function groupRound(t: Test, script: string, bootstrap: string, topic: string, group: string, expect: string[], extra: string[] = []): Promise<void> {
  const w = spawnWorker<{ ev: string; value?: string }>(script, PYTHON, [join(PY_DIR, script), bootstrap, group, topic, ...extra]);
  try {
    await until(`${script} consumed ${expect.length} records`, () => (w.assertAlive(), w.events.filter((e) => e.ev === 'm').length >= expect.length), 60_000, () => w.describe());
    await until(`${script} committed`, () => w.events.some((e) => e.ev === 'commit'), 30_000, () => w.describe());
  } finally {
    await w.stop();
  }
  t.same(w.events.filter((e) => e.ev === 'm').map((e) => e.value).sort(), [...expect].sort(), `${script}: the group member read every record`);
}

t.test('kcat (Debian)', (t) =>
  recorded(t, 'kcat', `kcat ${dpkgVersion('kcat')} (librdkafka ${dpkgVersion('librdkafka1')})`, async (bootstrap) => {
    const values = lines('kcat', 10);
    t.equal((await run('kcat', ['-b', bootstrap, '-P', '-t', 'av-kcat', '-z', 'lz4'], { input: values.join('\n') + '\n' })).code, 0);
    const read = await run('kcat', ['-b', bootstrap, '-C', '-t', 'av-kcat', '-o', 'beginning', '-e', '-q']);
    t.same(read.stdout.trim().split('\n').sort(), [...values].sort(), 'kcat -C reads back what kcat -P wrote');
    t.match((await run('kcat', ['-b', bootstrap, '-L'])).stdout, /topic "av-kcat"/);
  }),
);

t.test('python3-kafka (Debian kafka-python)', (t) =>
  recorded(t, 'debian-kafka-python', `python3-kafka ${dpkgVersion('python3-kafka')}`, async (bootstrap) => {
    const values = lines('kp', 9);
    const input = values.map((v, i) => JSON.stringify({ partition: i % 3, key: null, value: Buffer.from(v).toString('base64') })).join('\n') + '\n';
    await python('kp_produce.py', [bootstrap, 'av-kp', '--compression', 'gzip'], { input });
    const read = parseRecordLines((await python('kp_read.py', [bootstrap, 'av-kp', '3'])).stdout);
    t.same(read.map((r) => Buffer.from(r.value!, 'base64').toString()).sort(), [...values].sort());
    await groupRound(t, 'kp_group_consume.py', bootstrap, 'av-kp', 'av-kp-group', values);
    t.match((await python('kp_admin.py', [bootstrap, 'describe', 'av-kp'])).stdout, /retention\.ms/);
  }),
);

t.test('python3-confluent-kafka (Debian)', (t) =>
  recorded(t, 'debian-confluent-kafka', `python3-confluent-kafka ${dpkgVersion('python3-confluent-kafka')} (librdkafka ${dpkgVersion('librdkafka1')})`, async (bootstrap) => {
    const values = lines('ck', 9);
    const input = values.map((v, i) => JSON.stringify({ partition: i % 3, key: null, value: Buffer.from(v).toString('base64') })).join('\n') + '\n';
    await python('ck_produce.py', [bootstrap, 'av-ck', '--compression', 'zstd', '--idempotent'], { input });
    const read = parseRecordLines((await python('ck_read.py', [bootstrap, 'av-ck', '3'])).stdout);
    t.same(read.map((r) => Buffer.from(r.value!, 'base64').toString()).sort(), [...values].sort());
    await groupRound(t, 'ck_group_consume.py', bootstrap, 'av-ck', 'av-ck-group', values, ['--commit', 'sync']);
    t.match((await python('ck_admin.py', [bootstrap, 'describe', 'av-ck'])).stdout, /retention\.ms/);
    t.match((await python('ck_txn_produce.py', [bootstrap, 'av-ck-txn', 'av-ck-tx', '--count', '3'], { timeoutMs: 60_000 })).stdout, /"committed"/);
  }),
);

t.test('kafkajs 2.2.4', (t) =>
  recorded(t, 'kafkajs', 'kafkajs 2.2.4', async (bootstrap) => {
    const kafka = new Kafka({ clientId: 'av-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'av-kjs', numPartitions: 2 }], waitForLeaders: true });
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'av-kjs' }], includeSynonyms: false });
    t.ok(configs.resources[0]!.configEntries.some((e) => e.configName === 'retention.ms'));
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: 'av-kjs-tx' });
    await producer.connect();
    const values = lines('kjs', 6);
    const tx = await producer.transaction();
    await tx.send({ topic: 'av-kjs', messages: values.map((v, i) => ({ partition: i % 2, value: v })) });
    await tx.commit();
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'av-kjs-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'av-kjs', fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
    await until('kafkajs consumed the committed records', () => got.length >= values.length, 60_000);
    await consumer.disconnect();
    t.same(got.sort(), [...values].sort());
  }),
);
