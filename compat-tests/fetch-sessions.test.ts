/**
 * Fetch with topic ids (v13+) and fetch sessions (KIP-227) with real consumers, proven from the
 * broker's side: a `sluice start` process with its admin endpoint, its request log (GET /requests:
 * the Fetch versions each client sent) and its /metrics (sluice_fetch_session_requests_total by
 * kind, sluice_fetch_session_partitions_omitted_total, the session cache gauges).
 *
 * Each consumer assigns the 8 partitions of a topic, reads every record, then polls a second more
 * while nothing is produced. The Java client 4.x sends the newest Fetch Sluice serves (topic ids)
 * and, after its first full fetch, incremental fetches whose answers leave out the idle partitions.
 * franz-go and kafka-python (at v12, by name) use sessions too; librdkafka (confluent-kafka) has
 * no KIP-227 and fetches sessionless. What each did is printed.
 */
import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { confluentNewestDriver, franzDriver, javaDriver, kafkaPythonNewestDriver } from './client-drivers.js';
import { spawnBroker, stopBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { driverRun, readRecords, type ClientDriver } from './newest-clients.js';
import { Fetch } from '../src/protocol/generated/index.js';

const TOPIC = 'sessions';
const PARTITIONS = 8;
const RECORDS = 40;

let broker: BrokerProcess;
const data = tmpDataDir('sluice-fetch-sessions-');

t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir, admin: true });
  const kafka = new Kafka({ clientId: 'fetch-sessions-setup', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: TOPIC, messages: Array.from({ length: RECORDS }, (_, i) => ({ partition: i % PARTITIONS, value: `v${i}` })) });
  await p.disconnect();
});
t.teardown(async () => {
  await stopBroker(broker);
  data.remove();
});

async function get(path: string): Promise<string> {
  const res = await fetch(broker.adminUrl! + path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return res.text();
}

interface SessionCounts {
  sessionless: number;
  full: number;
  incremental: number;
  error: number;
  omitted: number;
}

async function sessionCounts(): Promise<SessionCounts> {
  const text = await get('/metrics');
  const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
  const kind = (k: string): number => value(new RegExp(`^sluice_fetch_session_requests_total\\{kind="${k}"\\} (\\d+)$`, 'm'));
  return { sessionless: kind('sessionless'), full: kind('full'), incremental: kind('incremental'), error: kind('error'), omitted: value(/^sluice_fetch_session_partitions_omitted_total (\d+)$/m) };
}

interface LogEntry {
  apiKey: number;
  apiVersion: number;
  clientSoftware: string | null;
  connectionId: number;
  ts: number;
}

/** Reads everything with `d`; what the broker counted meanwhile and the Fetch versions it logged. */
async function consume(t: Test, d: ClientDriver): Promise<{ delta: SessionCounts; versions: number[] }> {
  d.check();
  const before = await sessionCounts();
  const since = Date.now();
  const rows = await driverRun(d, ['read', broker.bootstrap, TOPIC, String(PARTITIONS), 'read_uncommitted', String(RECORDS)]);
  const got = readRecords(rows);
  t.equal(got.length, RECORDS, `${d.label}: every record`);
  t.same(
    got.map((r) => Buffer.from(r.value!, 'base64').toString()).sort(),
    Array.from({ length: RECORDS }, (_, i) => `v${i}`).sort(),
    'the values produced',
  );
  const after = await sessionCounts();
  const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof SessionCounts]])) as unknown as SessionCounts;
  const log = JSON.parse(await get('/requests')) as LogEntry[];
  const versions = [...new Set(log.filter((e) => e.apiKey === Fetch.apiKey && e.ts >= since).map((e) => e.apiVersion))].sort((a, b) => a - b);
  t.comment(`${d.label}: Fetch versions ${versions.join(',')}; session kinds ${JSON.stringify(delta)}`);
  return { delta, versions };
}

t.test('the Java client 4.x: Fetch v18 by topic id, a session, incremental fetches that leave out idle partitions', async (t) => {
  const { delta, versions } = await consume(t, javaDriver);
  t.same(versions, [Fetch.maxVersion], 'every Fetch at the newest version (topic ids, Kafka 4.1)');
  t.ok(delta.full >= 1, 'a full fetch opened a session');
  t.ok(delta.incremental >= 1, 'incremental fetches followed');
  t.equal(delta.error, 0, 'no session errors');
  t.ok(delta.omitted >= PARTITIONS, 'idle partitions left out of incremental answers');
});

t.test('franz-go: topic ids and incremental fetch sessions too', async (t) => {
  const { delta, versions } = await consume(t, franzDriver);
  t.ok(versions.length > 0 && versions.every((v) => v >= 13), 'Fetch by topic id');
  t.ok(delta.incremental >= 1, 'incremental fetches');
  t.equal(delta.error, 0, 'no session errors');
});

t.test('librdkafka (confluent-kafka) still reads everything, without sessions (it has no KIP-227)', async (t) => {
  const { delta, versions } = await consume(t, confluentNewestDriver);
  t.ok(versions.length > 0 && versions.every((v) => v >= 13), 'Fetch by topic id');
  t.ok(delta.sessionless >= 1, 'sessionless fetches');
  t.equal(delta.full + delta.incremental + delta.error, 0, 'no session opened or used');
});

t.test('kafka-python still reads everything, with sessions at Fetch v12 (by name)', async (t) => {
  const { delta, versions } = await consume(t, kafkaPythonNewestDriver);
  t.ok(versions.length > 0 && versions.every((v) => v <= 12), 'Fetch by name');
  t.ok(delta.incremental >= 1, 'incremental fetches');
  t.equal(delta.error, 0, 'no session errors');
});
