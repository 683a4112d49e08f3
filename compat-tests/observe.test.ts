/**
 * Observation (issue 14) through real clients: a `sluice start --admin-port` process that kafkajs
 * and librdkafka (kcat) produce to and consume from, read over HTTP (GET /requests, /connections,
 * /partitions, /metrics), and an embedded broker's `nextRequest` in process.
 *
 * /metrics is read with a strict parser of the Prometheus text format 0.0.4 written here (names,
 * label syntax and escapes, values, HELP/TYPE lines, one TYPE per family before its samples, no
 * repeated series), and its counters are checked against what the clients did: records (not
 * batches) produced, requests per API growing, a consumer group's lag after a partial commit.
 */
import { connect } from 'node:net';
import t from 'tap';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startBroker } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import type { PartitionStateView } from '../src/admin/partitions.js';
import { requireTool, run, spawnBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';

let broker: BrokerProcess;
let admin = '';
const data = tmpDataDir('sluice-observe-');

t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir, admin: true });
  admin = broker.adminUrl!;
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

async function http(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(admin + path, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

async function getJson<T>(path: string): Promise<T> {
  const res = await http('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as T;
}

interface Entry {
  ts: number;
  connectionId: number;
  clientId: string | null;
  clientSoftware: string | null;
  clientSoftwareVersion: string | null;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  latencyMs: number;
  errorCode: number;
  fault: number | null;
  notes: string[];
}

type PartitionView = PartitionStateView;

const kafkaFor = (port: number, clientId: string): Kafka => new Kafka({ clientId, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 8 } });

async function createTopics(port: number, topics: string[]): Promise<void> {
  const a = kafkaFor(port, 'obs-admin').admin();
  await a.connect();
  try {
    await a.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  } finally {
    await a.disconnect();
  }
}

// -- a strict reader of the Prometheus text format 0.0.4 -----------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';
  help: string | null;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;

/** Parses exposition text; throws on the first line that breaks the format. */
function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: Family | null = null;
  const familyOf = (sampleName: string): Family | undefined => {
    for (const suffix of ['', '_sum', '_count', '_bucket']) {
      if (suffix !== '' && !sampleName.endsWith(suffix)) continue;
      const f = families.get(sampleName.slice(0, sampleName.length - suffix.length));
      if (!f) continue;
      if (suffix === '' || (f.type === 'summary' && suffix !== '_bucket') || f.type === 'histogram') return f;
    }
    return undefined;
  };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1} "${line}"`;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)\b/.test(line)) throw new Error(`malformed ${where}`);
        return; // a comment
      }
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name at ${where}`);
      let f = families.get(name);
      if (f && closed.has(name)) throw new Error(`${name} declared again after its samples, ${where}`);
      if (!f) {
        if (current) closed.add(current.name);
        families.set(name, (f = { name, type: 'untyped', help: null, samples: [] }));
        current = f;
      }
      if (kind === 'HELP') {
        if (f.help !== null) throw new Error(`second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad escape in HELP at ${where}`);
        f.help = rest;
      } else {
        if (!['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(rest)) throw new Error(`bad type at ${where}`);
        if (f.samples.length > 0) throw new Error(`TYPE after samples at ${where}`);
        f.type = rest as Family['type'];
      }
      return;
    }
    if (line.trim() === '') throw new Error(`empty ${where}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`malformed sample at ${where}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    if (!VALUE.test(valueText)) throw new Error(`bad value at ${where}`);
    const labels = parseLabels(labelText ?? '', where);
    const f = familyOf(name);
    if (!f) throw new Error(`sample of an undeclared family at ${where}`);
    if (f !== current) throw new Error(`samples of ${f.name} are not together, ${where}`);
    if (f.type === 'summary' && name === f.name && labels['quantile'] === undefined) throw new Error(`summary sample without quantile at ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`repeated series at ${where}`);
    seen.add(key);
    f.samples.push({ name, labels, value: valueText.endsWith('Inf') ? (valueText.startsWith('-') ? -Infinity : Infinity) : Number(valueText) });
  });
  return families;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === '') return out;
  let s = text.slice(1, -1);
  while (s.length > 0) {
    const m = /^([^=]+)="((?:[^"\\\n]|\\["\\n])*)"(,?)/.exec(s);
    if (!m) throw new Error(`malformed labels at ${where}`);
    const [all, name, raw, comma] = m as unknown as [string, string, string, string];
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`bad label name "${name}" at ${where}`);
    if (name in out) throw new Error(`repeated label ${name} at ${where}`);
    out[name] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    s = s.slice(all.length);
    if (comma === '' && s.length > 0) throw new Error(`labels not separated by commas at ${where}`);
  }
  return out;
}

/** The value of the one sample of `name` whose labels are exactly `labels`. */
function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}

async function scrape(): Promise<Map<string, Family>> {
  const res = await http('GET', '/metrics');
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.contentType ?? '')) throw new Error(`content type ${res.contentType}`);
  return parsePrometheus(res.text);
}

// -- the tests ---------------------------------------------------------------------------------

t.test('the strict parser refuses what the format does not allow', async (t) => {
  t.throws(() => parsePrometheus('x 1'), /line feed/);
  t.throws(() => parsePrometheus('x 1\n'), /undeclared/);
  t.throws(() => parsePrometheus('# TYPE x counter\nx{a="1} 1\n'), /malformed/);
  t.throws(() => parsePrometheus('# TYPE x counter\nx one\n'), /bad value/);
  t.throws(() => parsePrometheus('# TYPE x counter\nx 1\nx 2\n'), /repeated series/);
  t.throws(() => parsePrometheus('# TYPE x counter\n# TYPE y gauge\nx 1\n'), /not together/);
  t.throws(() => parsePrometheus('# TYPE x summary\nx 1\n'), /without quantile/);
  t.throws(() => parsePrometheus('# TYPE 1x counter\n'), /bad metric name/);
  const ok = parsePrometheus('# HELP x a \\\\ help\n# TYPE x summary\nx{q="a\\"b",quantile="0.5"} 1.5e3\nx_sum 2\nx_count 1\n');
  t.same(ok.get('x')!.samples[0], { name: 'x', labels: { q: 'a"b', quantile: '0.5' }, value: 1500 });
});

t.test('kafkajs and librdkafka: GET /requests names their software, APIs and versions; /partitions agrees with what was produced', async (t) => {
  requireTool('kcat');
  await createTopics(broker.port, ['obs-js', 'obs-rd']);
  const producer = kafkaFor(broker.port, 'obs-kafkajs').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  // Three batches of 4, 3 and 3 records: the counts below are records, not batches.
  for (const n of [4, 3, 3]) await producer.send({ topic: 'obs-js', messages: Array.from({ length: n }, (_, i) => ({ value: `js-${n}-${i}` })) });
  const produced = await run('kcat', ['-P', '-b', broker.bootstrap, '-t', 'obs-rd'], { input: 'a\nb\nc\nd\ne\n' });
  t.equal(produced.code, 0, produced.stderr);
  const consumed = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'obs-rd', '-o', 'beginning', '-e', '-q'], { timeoutMs: 20_000 });
  t.same(consumed.stdout.trim().split('\n'), ['a', 'b', 'c', 'd', 'e'], 'kcat reads back what it wrote');

  const entries = await getJson<Entry[]>('/requests');
  t.ok(entries.length > 0 && entries.length <= 1000, `${entries.length} entries, within the bound`);
  t.ok(entries.every((e, i) => i === 0 || e.ts >= entries[i - 1]!.ts - 1000), 'oldest first (answer order)');
  const rd = entries.filter((e) => e.clientSoftware === 'librdkafka');
  t.ok(rd.length > 0, 'librdkafka names itself in ApiVersions v3');
  t.ok(rd.every((e) => /^\d+\.\d+\.\d+/.test(e.clientSoftwareVersion ?? '')), `its version: ${rd[0]?.clientSoftwareVersion}`);
  t.ok(rd.some((e) => e.apiName === 'Produce' && e.apiKey === 0 && e.errorCode === 0), 'its Produce');
  t.ok(rd.some((e) => e.apiName === 'Fetch' && e.apiKey === 1), 'its Fetch');
  t.ok(rd.some((e) => e.apiName === 'ApiVersions' && e.apiVersion === 3), 'ApiVersions v3');
  const js = entries.filter((e) => e.clientId === 'obs-kafkajs');
  t.ok(js.length > 0);
  t.ok(js.every((e) => e.clientSoftware === null), 'kafkajs sends ApiVersions v2, which carries no software name');
  t.same([...new Set(js.filter((e) => e.apiName === 'Produce').map((e) => e.apiVersion))], [7], 'kafkajs produces with v7');
  t.equal(js.filter((e) => e.apiName === 'Produce').length, 3, 'one Produce per send');
  for (const e of entries) {
    t.ok(Number.isInteger(e.connectionId) && e.connectionId > 0 && e.latencyMs >= 0 && Array.isArray(e.notes) && e.fault === null, `entry shape: ${JSON.stringify(e)}`);
  }
  t.same((await getJson<Entry[]>('/requests?limit=2')).length, 2, '?limit');
  t.equal((await http('GET', '/requests?limit=x')).status, 400, 'a bad limit is refused');

  const parts = await getJson<PartitionView[]>('/partitions');
  const jsPart = parts.find((p) => p.topic === 'obs-js');
  t.match(jsPart, { partition: 0, leader: 1, leaderEpoch: 0, isr: [1], replicas: [1], logStartOffset: 0, highWatermark: 10, lastStableOffset: 10, logEndOffset: 10, segments: 1 }, 'high watermark = records produced');
  t.ok(jsPart!.sizeBytes > 0);
  t.match(parts.find((p) => p.topic === 'obs-rd'), { highWatermark: 5, logEndOffset: 5 });
  t.same(await getJson<PartitionView[]>('/partitions?topic=obs-rd&partition=0'), parts.filter((p) => p.topic === 'obs-rd'), '?topic and ?partition narrow it');
});

t.test('an injected fault shows in GET /requests with its error code and id', async (t) => {
  requireTool('kcat');
  await createTopics(broker.port, ['obs-fault']);
  const armed = await http('POST', '/faults', { apiKey: 0, topic: 'obs-fault', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 1 });
  t.equal(armed.status, 201);
  const faultId = (JSON.parse(armed.text) as { id: number }).id;
  const res = await run('kcat', ['-P', '-b', broker.bootstrap, '-t', 'obs-fault', '-X', 'retry.backoff.ms=50'], { input: 'x\n' });
  t.equal(res.code, 0, res.stderr);
  const produces = (await getJson<Entry[]>('/requests')).filter((e) => e.apiName === 'Produce' && e.clientSoftware === 'librdkafka');
  const faulted = produces.filter((e) => e.fault !== null);
  t.equal(faulted.length, 1, 'one Produce met the fault');
  t.match(faulted[0], { fault: faultId, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, apiKey: 0 });
  const after = produces.slice(produces.indexOf(faulted[0]!) + 1);
  t.ok(after.some((e) => e.errorCode === 0 && e.fault === null), 'the retry succeeded, with no fault');
  t.match((await getJson<PartitionView[]>('/partitions?topic=obs-fault'))[0], { highWatermark: 1 });
});

t.test('POST /requests/next: waits for the next matching request over HTTP', async (t) => {
  const next = http('POST', '/requests/next', { apiKey: 3, clientId: 'obs-http-next', timeoutMs: 20_000 });
  // The waiter is armed when the broker has read the POST; a short pause lets it.
  await new Promise((r) => setTimeout(r, 200));
  const a = kafkaFor(broker.port, 'obs-http-next').admin();
  await a.connect();
  t.teardown(() => a.disconnect());
  await a.listTopics();
  const res = await next;
  t.equal(res.status, 200, res.text);
  t.match(JSON.parse(res.text), { apiKey: 3, apiName: 'Metadata', clientId: 'obs-http-next', errorCode: 0 });
  const late = await http('POST', '/requests/next', { apiKey: 45, timeoutMs: 50 });
  t.equal(late.status, 408, 'nothing matched within the timeout');
  t.match(JSON.parse(late.text), { error: /no request matching/ });
  t.equal((await http('POST', '/requests/next', { apiKey: 3 })).status, 400, 'timeoutMs is required');
  t.equal((await http('POST', '/requests/next', { apiKey: 3, timeoutMs: 10, colour: 'red' })).status, 400, 'unknown fields are refused');
  t.equal((await http('POST', '/requests/next', { apiKey: 12, topic: 't', timeoutMs: 10 })).status, 400, 'a topic matcher for an API without topics is refused');
});

t.test('a request for a version Sluice does not serve is logged before its connection is closed', async (t) => {
  const clientId = Buffer.from('obs-old');
  const frame = Buffer.alloc(4 + 10 + clientId.length);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt16BE(3, 4); // Metadata
  frame.writeInt16BE(99, 6); // a version no broker serves
  frame.writeInt32BE(7, 8);
  frame.writeInt16BE(clientId.length, 12);
  clientId.copy(frame, 14);
  const sock = connect(broker.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  sock.on('error', () => {});
  sock.write(frame);
  await closed;
  const entry = (await getJson<Entry[]>('/requests')).find((e) => e.clientId === 'obs-old');
  t.match(entry, { apiKey: 3, apiName: 'Metadata', apiVersion: 99, errorCode: ErrorCode.UNSUPPORTED_VERSION });
});

t.test('GET /connections: a live kafkajs connection with its client id, versions and request count', async (t) => {
  const producer = kafkaFor(broker.port, 'obs-conn').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'obs-js', messages: [{ value: 'c' }] });
  interface Conn {
    id: number;
    listener: string;
    remote: string;
    clientId: string | null;
    clientSoftware: string | null;
    principal: string;
    openedMs: number;
    requests: number;
    requestsPerSec: number;
    apiVersions: Record<string, number>;
  }
  const conns = await getJson<Conn[]>('/connections');
  const mine = conns.filter((c) => c.clientId === 'obs-conn');
  t.ok(mine.length >= 1, 'kafkajs is connected');
  const producing = mine.find((c) => c.apiVersions['Produce'] !== undefined);
  t.match(producing, { listener: 'PLAINTEXT', principal: 'User:ANONYMOUS', clientSoftware: null, apiVersions: { Produce: 7 } });
  t.match(producing!.remote, /^127\.0\.0\.1:\d+$/);
  t.ok(producing!.requests >= 1 && producing!.requestsPerSec > 0 && producing!.openedMs <= Date.now());
  await producer.disconnect();
  await until('the connection is gone from /connections', async () => !(await getJson<Conn[]>('/connections')).some((c) => c.clientId === 'obs-conn'));
});

t.test('GET /metrics: strict Prometheus text; records in per topic, requests per API, group lag', async (t) => {
  requireTool('kcat');
  const first = await scrape();
  const jsIn = valueOf(first, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'obs-js' });
  t.equal(jsIn, 11, 'obs-js: 10 + 1 records (three kafkajs batches, then one), not 4 batches');
  t.equal(valueOf(first, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'obs-rd' }), 5);
  t.equal(valueOf(first, 'kafka_server_brokertopicmetrics_messagesin_total'), 11 + 5 + 1, 'the total is every record appended');
  t.ok(valueOf(first, 'kafka_server_brokertopicmetrics_bytesin_total', { topic: 'obs-js' })! > 0);
  t.ok(valueOf(first, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: 'obs-rd' })! > 0, 'kcat fetched obs-rd');
  t.equal(first.get('kafka_network_requestmetrics_totaltimems')?.type, 'summary');
  t.ok(valueOf(first, 'kafka_network_requestmetrics_totaltimems_count', { request: 'Produce' })! >= 6);
  t.equal(valueOf(first, 'kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER' }), 1, 'the injected error is counted');
  t.equal(valueOf(first, 'kafka_server_replicamanager_underreplicatedpartitions'), 0);
  t.equal(valueOf(first, 'kafka_controller_kafkacontroller_offlinepartitionscount'), 0);
  t.equal(valueOf(first, 'kafka_log_log_logendoffset', { topic: 'obs-rd', partition: '0' }), 5);
  t.ok(valueOf(first, 'process_resident_memory_bytes')! > 0);
  const produceV = (m: Map<string, Family>, v: string): number => valueOf(m, 'kafka_network_requestmetrics_requests_total', { request: 'Produce', version: v }) ?? 0;

  // A consumer group that reads all ten records of a topic and commits only the first four.
  await createTopics(broker.port, ['obs-lag']);
  const producer = kafkaFor(broker.port, 'obs-lag-producer').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'obs-lag', messages: Array.from({ length: 10 }, (_, i) => ({ value: `l${i}` })) });
  const consumer: Consumer = kafkaFor(broker.port, 'obs-lag-consumer').consumer({ groupId: 'obs-group', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'obs-lag', fromBeginning: true });
  let seen = 0;
  const fourCommitted = new Promise<void>((resolve, reject) => {
    void consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          seen++;
          if (message.offset === '3') {
            await consumer.commitOffsets([{ topic, partition, offset: '4' }]);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await fourCommitted;
  await until('the consumer read all ten', () => seen >= 10, 15_000);
  await consumer.disconnect();

  const second = await scrape();
  t.equal(valueOf(second, 'kafka_consumergroup_lag', { consumergroup: 'obs-group', topic: 'obs-lag', partition: '0' }), 6, 'lag = the six records not committed');
  t.equal(valueOf(second, 'kafka_consumergroup_current_offset', { consumergroup: 'obs-group', topic: 'obs-lag', partition: '0' }), 4);
  t.equal(valueOf(second, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'obs-lag' }), 10);
  t.equal(produceV(second, '7') - produceV(first, '7'), 1, 'Produce v7 requests grew by the one send');
  const fetches = (m: Map<string, Family>): number => m.get('kafka_network_requestmetrics_requests_total')!.samples.filter((s) => s.labels['request'] === 'Fetch').reduce((a, s) => a + s.value, 0);
  t.ok(fetches(second) > fetches(first), 'Fetch requests grew');
  t.ok(valueOf(second, 'kafka_network_requestmetrics_requests_total', { request: 'OffsetCommit', version: '5' })! >= 1, 'the commit is counted under its API');
});

t.test('in process: nextRequest resolves on a kafkajs Fetch; partitionState agrees', async (t) => {
  const dir = tmpDataDir('sluice-observe-embedded-');
  const b = await startBroker({ port: 0, dataDir: dir.dir });
  t.teardown(async () => {
    await b.stop();
    dir.remove();
  });
  await createTopics(b.port, ['obs-inproc']);
  await t.rejects(b.nextRequest({ apiKey: 1 }, { timeoutMs: 50 }), /no request matching/, 'nothing fetched yet');
  const nextFetch = b.nextRequest({ apiKey: 1, topic: 'obs-inproc', partition: 0 }, { timeoutMs: 20_000 });
  const producer = kafkaFor(b.port, 'obs-inproc').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  await producer.send({ topic: 'obs-inproc', messages: [{ value: '1' }, { value: '2' }, { value: '3' }] });
  t.match(b.partitionState('obs-inproc', 0), { topic: 'obs-inproc', partition: 0, highWatermark: 3, logEndOffset: 3, lastStableOffset: 3, leader: b.nodeId, isr: [b.nodeId] });
  t.equal(b.partitionState('obs-inproc', 1), null, 'no such partition');
  const consumer = kafkaFor(b.port, 'obs-inproc').consumer({ groupId: 'obs-inproc-group' });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'obs-inproc', fromBeginning: true });
  void consumer.run({ eachMessage: async () => {} });
  const fetch = await nextFetch;
  t.match(fetch, { apiKey: 1, apiName: 'Fetch', apiVersion: 11, clientId: 'obs-inproc', errorCode: 0, fault: null });
  t.ok(b.requests(5).length === 5 && b.requests().some((e) => e.apiName === 'Produce'), 'the request log in process');
  t.ok(b.connections().some((c) => c.clientId === 'obs-inproc'));
  t.equal(valueOf(parsePrometheus(b.metrics()), 'kafka_server_brokertopicmetrics_messagesin_total', { topic: 'obs-inproc' }), 3, 'metrics() in process');
});
