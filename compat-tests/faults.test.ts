/**
 * Fault injection (issue 14, first part) through real clients: a `sluice start --admin-port`
 * process driven over HTTP (POST/GET/DELETE /faults) and an embedded broker driven in process
 * (`startBroker().faults`). kafkajs, librdkafka (kcat), the Java client and franz-go each see exactly the injected error, delay, disconnect or
 * silence, and nothing else is disturbed: a refused Produce appends nothing, other connections and
 * APIs go on.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/index.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { CreateTopics, ListOffsets, Metadata, Produce } from '../src/protocol/generated/index.js';
import { freePortRun, requireTool, run, spawnBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';
import { RawClient, requestFrame } from './raw-client.js';
import { franzDriver, javaDriver } from './client-drivers.js';
import { driverRun } from './newest-clients.js';

let broker: BrokerProcess;
let admin = '';
const data = tmpDataDir('sluice-faults-');

t.before(async () => {
  const adminPort = await freePortRun(1);
  broker = await spawnBroker({ dataDir: data.dir, args: ['--admin-port', String(adminPort)] });
  admin = `http://127.0.0.1:${adminPort}`;
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

async function http(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(admin + path, { method, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text) };
}

async function createTopic(c: RawClient, name: string): Promise<void> {
  const res = await c.request(CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  if (res.topics[0]!.errorCode !== ErrorCode.NONE) throw new Error(`create ${name}: ${res.topics[0]!.errorCode}`);
}

async function produceOne(c: RawClient, topic: string, value: string): Promise<number> {
  const records = buildRecordBatch([{ key: null, value: Buffer.from(value), timestamp: BigInt(Date.now()) }]);
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

async function endOffset(c: RawClient, topic: string): Promise<bigint> {
  const res = await c.request(ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 5000 });
  return res.topics[0]!.partitions[0]!.offset;
}

const metadata = (c: RawClient) => c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });

t.test('the ready line names the admin endpoint', async (t) => {
  t.match(broker.output(), new RegExp(`admin endpoint on ${admin.slice('http://'.length).replace(/\./g, '\\.')}`));
});

t.test('POST /faults: the next two Produce requests answer NOT_LEADER_OR_FOLLOWER and append nothing', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-produce');
  const armed = await http('POST', '/faults', { apiKey: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 2 });
  t.equal(armed.status, 201);
  t.match(armed.json, { apiKey: 0, errorCode: 6, times: 2, matched: 0, fired: 0 });
  t.same([await produceOne(c, 'f-produce', 'a'), await produceOne(c, 'f-produce', 'b'), await produceOne(c, 'f-produce', 'c')], [6, 6, ErrorCode.NONE]);
  t.equal(await endOffset(c, 'f-produce'), 1n, 'only the third was appended');
  t.same((await http('GET', '/faults')).json, [], 'spent faults are gone');
});

t.test('kafkajs retries through injected errors and writes each record once', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-kafkajs');
  await http('POST', '/faults', { apiKey: 0, topic: 'f-kafkajs', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 3 });
  const kafka = new Kafka({ clientId: 'faults', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 8 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const [meta] = await producer.send({ topic: 'f-kafkajs', messages: [{ value: 'once' }] });
  t.equal(meta!.errorCode, 0);
  t.equal(await endOffset(c, 'f-kafkajs'), 1n, 'one record, not four');
  t.same((await http('GET', '/faults')).json, [], 'all three injected errors were seen');
});

t.test('librdkafka (kcat) retries through an injected error', async (t) => {
  requireTool('kcat');
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-kcat');
  await http('POST', '/faults', { apiKey: 0, topic: 'f-kcat', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 1 });
  const res = await run('kcat', ['-P', '-b', `127.0.0.1:${broker.port}`, '-t', 'f-kcat', '-X', 'retry.backoff.ms=50'], { input: 'x\ny\n' });
  t.equal(res.code, 0, res.stderr);
  t.equal(await endOffset(c, 'f-kcat'), 2n, 'both lines written once');
  t.same((await http('GET', '/faults')).json, []);
});

t.test('the Java client and franz-go retry through injected errors and write each record once', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  for (const d of [javaDriver, franzDriver]) {
    d.check();
    const topic = `f-${d.name}`;
    await createTopic(c, topic);
    await http('POST', '/faults', { apiKey: 0, topic, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 2 });
    const records = [0, 1, 2].map((i) => JSON.stringify({ partition: 0, key: null, value: Buffer.from(`v${i}`).toString('base64'), headers: [] }));
    const out = await driverRun(d, ['produce', `127.0.0.1:${broker.port}`, topic, 'none', '1'], records.join('\n') + '\n');
    t.match(out.at(-1), { step: 'produced', count: 3 }, `${d.label}: every send acknowledged`);
    t.equal(await endOffset(c, topic), 3n, `${d.label}: three records, none twice`);
    t.same((await http('GET', '/faults')).json, [], `${d.label} saw both injected errors`);
  }
});

t.test('a delay holds the answer; other connections are not held', async (t) => {
  const slow = await RawClient.connect(broker.port);
  const other = await RawClient.connect(broker.port);
  t.teardown(() => {
    slow.close();
    other.close();
  });
  await http('POST', '/faults', { apiKey: 3, delayMs: 600, clientId: 'raw', times: 1 });
  const order: string[] = [];
  const t0 = performance.now();
  const delayed = metadata(slow).then((r) => (order.push('delayed'), r));
  await until('the delay fault fired', async () => ((await http('GET', '/faults')).json as unknown[]).length === 0);
  const prompt = metadata(other).then((r) => (order.push('other'), r));
  t.equal((await prompt).brokers.length, 1, 'another connection is answered meanwhile');
  t.equal((await delayed).brokers.length, 1, 'the delayed request is answered in full');
  t.ok(performance.now() - t0 >= 550, 'the delayed answer came after the delay');
  t.same(order, ['other', 'delayed'], 'the other connection was answered first');
});

t.test('disconnect closes that connection only; noAnswer leaves the request unanswered', async (t) => {
  await http('POST', '/faults', { apiKey: 3, disconnect: true, times: 1 });
  const a = await RawClient.connect(broker.port);
  await t.rejects(metadata(a), /connection closed/);
  t.ok(a.closed);
  const b = await RawClient.connect(broker.port);
  t.teardown(() => b.close());
  t.equal((await metadata(b)).brokers.length, 1, 'the next connection is served');
  await http('POST', '/faults', { apiKey: 3, noAnswer: true, times: 1 });
  const silent = await RawClient.connect(broker.port);
  t.teardown(() => silent.close());
  const pending = metadata(silent);
  await t.rejects(Promise.race([pending, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 800 ms')), 800))]), /no answer within 800 ms/);
  t.notOk(silent.closed, 'the connection stays open');
  pending.catch(() => {});
});

t.test('an error for a Produce with acks=0 closes the connection, as Kafka answers such a failure', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-acks0');
  await http('POST', '/faults', { apiKey: 0, topic: 'f-acks0', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 1 });
  const records = buildRecordBatch([{ key: null, value: Buffer.from('lost'), timestamp: BigInt(Date.now()) }]);
  c.write(requestFrame(Produce, 9, c.nextCorrelationId(), { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'f-acks0', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records }] }] }));
  await c.whenClosed;
  t.ok(c.closed, 'no answer, the connection closed');
  const d = await RawClient.connect(broker.port);
  t.teardown(() => d.close());
  t.equal(await endOffset(d, 'f-acks0'), 0n, 'nothing appended');
});

t.test('the admin endpoint refuses what makes no sense, with a reason', async (t) => {
  const bad = await http('POST', '/faults', { apiKey: 0 });
  t.equal(bad.status, 400);
  t.match(bad.json, { error: /exactly one action/ });
  t.match((await http('POST', '/faults', '{not json')).status, 400);
  t.match((await http('POST', '/faults', { apiKey: 0, errorCode: 6, colour: 'red' })).json, { error: /unknown fault field "colour"/ });
  const one = await http('POST', '/faults', { apiKey: 1, delayMs: 5, always: true });
  t.equal((await http('DELETE', `/faults/${(one.json as { id: number }).id}`)).status, 204);
  t.equal((await http('DELETE', '/faults/999999')).status, 404);
  t.equal((await http('GET', '/nothing')).status, 404);
});

t.test('embedded: startBroker().faults, in process, seen by kafkajs', async (t) => {
  const dir = tmpDataDir('sluice-faults-embedded-');
  const b = await startBroker({ port: 0, dataDir: dir.dir });
  t.teardown(async () => {
    await b.stop();
    dir.remove();
  });
  const kafka = new Kafka({ clientId: 'embedded', brokers: [`127.0.0.1:${b.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'f-embedded', numPartitions: 1 }] });
  b.faults.add({ apiKey: 2, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, topic: 'f-embedded', times: 1 });
  await t.rejects(admin.fetchTopicOffsets('f-embedded'), /server experienced an unexpected error/);
  t.same((await admin.fetchTopicOffsets('f-embedded')).map((o) => o.high), ['0'], 'the next ListOffsets is answered');
});
