/**
 * Fault injection (issue 14) through real clients: a `sluice start --admin-port` process driven
 * over HTTP (POST/GET/DELETE /faults, /faults/<id>/wait|release) and an embedded broker driven in
 * process (`startBroker().faults`). kafkajs, librdkafka (kcat), the Java client and franz-go each
 * see exactly the injected error, delay, disconnect, silence, hold or made-up answer, before or
 * after the request took effect, and nothing else is disturbed: a refused Produce appends nothing,
 * other connections and APIs go on.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/index.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { ApiVersions, CreateTopics, DescribeGroups, Fetch, ListOffsets, Metadata, Produce } from '../src/protocol/generated/index.js';
import { requireTool, run, spawnBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';
import { fetchRequest, RawClient, requestFrame } from './raw-client.js';
import { franzDriver, javaDriver } from './client-drivers.js';
import { driverRun } from './newest-clients.js';

let broker: BrokerProcess;
let admin = '';
const data = tmpDataDir('sluice-faults-');

t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir, admin: true });
  admin = broker.adminUrl!;
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
    // A dropped connection, then a write whose success is answered as a failure: the idempotent
    // producer (the default of both) retries each, and every record is there once.
    await http('POST', '/faults', { apiKey: 0, topic, disconnect: true, times: 1 });
    await http('POST', '/faults', { apiKey: 0, topic, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, after: true, times: 1 });
    const more = await driverRun(d, ['produce', `127.0.0.1:${broker.port}`, topic, 'none', '1'], records.join('\n') + '\n');
    t.match(more.at(-1), { step: 'produced', count: 3 }, `${d.label}: every send acknowledged through a disconnect and a lost answer`);
    t.equal(await endOffset(c, topic), 6n, `${d.label}: six records, none twice`);
    t.same((await http('GET', '/faults')).json, [], `${d.label} met both`);
  }
});

t.test('hold over HTTP: kcat and kafkajs sends wait until released, nothing appended meanwhile', async (t) => {
  requireTool('kcat');
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-hold');
  const armed = (await http('POST', '/faults', { apiKey: 0, topic: 'f-hold', hold: true, times: 1 })).json as { id: number };
  const kcat = run('kcat', ['-P', '-b', `127.0.0.1:${broker.port}`, '-t', 'f-hold', '-X', 'message.timeout.ms=60000'], { input: 'held\n', timeoutMs: 60_000 });
  const waited = await http('POST', `/faults/${armed.id}/wait`, { timeoutMs: 20_000 });
  t.same([waited.status, waited.json], [200, { held: 1 }], 'the wait answers once the Produce is held');
  t.match((await http('GET', '/faults')).json, [], 'spent, though still holding');
  t.equal(await endOffset(c, 'f-hold'), 0n, 'nothing appended while held');
  t.same((await http('POST', `/faults/${armed.id}/release`)).json, { released: 1 });
  const res = await kcat;
  t.equal(res.code, 0, `kcat finished once released: ${res.stderr}`);
  t.equal(await endOffset(c, 'f-hold'), 1n, 'appended once');

  const again = (await http('POST', '/faults', { apiKey: 0, topic: 'f-hold', hold: true, times: 1 })).json as { id: number };
  const kafka = new Kafka({ clientId: 'faults-hold', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  let done = false;
  const sent = producer.send({ topic: 'f-hold', messages: [{ value: 'k' }] }).then((r) => ((done = true), r));
  t.equal((await http('POST', `/faults/${again.id}/wait`, { timeoutMs: 20_000 })).status, 200);
  t.notOk(done, 'the kafkajs send is pending');
  t.equal((await http('DELETE', `/faults/${again.id}`)).status, 204, 'deleting the fault releases it too');
  t.equal((await sent)[0]!.baseOffset, '1');
  const late = await http('POST', '/faults/999/wait', { timeoutMs: 10 });
  t.equal(late.status, 400, 'waiting on a fault that is not a hold fault is refused');
});

t.test('an error on a chosen partition: that partition fails, the rest of the same Produce is appended', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  const res0 = await c.request(CreateTopics, 7, { topics: [{ name: 'f-chosen', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(res0.topics[0]!.errorCode, 0);
  await http('POST', '/faults', { apiKey: 0, topic: 'f-chosen', partition: 1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 1 });
  const records = () => buildRecordBatch([{ key: null, value: Buffer.from('x'), timestamp: BigInt(Date.now()) }]);
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'f-chosen', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: records() }, { index: 1, records: records() }] }] });
  const byIndex = new Map(res.responses[0]!.partitionResponses.map((p) => [p.index, p]));
  t.same([byIndex.get(0)?.errorCode, byIndex.get(0)?.baseOffset], [0, 0n], 'partition 0 appended');
  t.same([byIndex.get(1)?.errorCode, byIndex.get(1)?.baseOffset], [ErrorCode.NOT_LEADER_OR_FOLLOWER, -1n], 'partition 1 failed');
  const ends = await c.request(ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'f-chosen', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }], timeoutMs: 5000 });
  t.same(ends.topics[0]!.partitions.map((p) => [p.partitionIndex, p.offset]), [[0, 1n], [1, 0n]], 'one record on partition 0, none on 1');
});

t.test('a custom response over HTTP: kafkajs reads the offsets the test made up', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-custom');
  const bad = await http('POST', '/faults', { apiKey: 2, response: { topicz: [] } });
  t.equal(bad.status, 400, 'a misspelt field is refused');
  t.match(bad.json, { error: /no field "topicz"/ });
  await http('POST', '/faults', { apiKey: 2, topic: 'f-custom', response: { topics: [{ name: 'f-custom', partitions: [{ partitionIndex: 0, offset: 42 }] }] }, times: 2 });
  const kafka = new Kafka({ clientId: 'faults-custom', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const offsets = await admin.fetchTopicOffsets('f-custom');
  t.same(offsets.map((o) => [o.partition, o.high, o.low]), [[0, '42', '42']], 'both of kafkajs\'s ListOffsets answered 42');
  t.same(await admin.fetchTopicOffsets('f-custom').then((o) => o.map((x) => x.high)), ['0'], 'then the real answer again');
});

t.test('errors for group and admin APIs: kafkajs retries a JoinGroup refusal and joins; DescribeGroups shows the error', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-group');
  await http('POST', '/faults', { apiKey: 11, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, times: 2 });
  const kafka = new Kafka({ clientId: 'faults-group', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 10 } });
  const consumer = kafka.consumer({ groupId: 'f-g', maxWaitTimeInMs: 100 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.subscribe({ topic: 'f-group' });
  await consumer.run({ eachMessage: async () => {} });
  await until('the consumer joined', () => joined, 20_000);
  t.same((await http('GET', '/faults')).json, [], 'both JoinGroup refusals were seen');
  await http('POST', '/faults', { apiKey: 15, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, times: 1 });
  const res = await c.request(DescribeGroups, 5, { groups: ['f-g', 'other'], includeAuthorizedOperations: false });
  t.same(res.groups.map((g) => [g.groupId, g.errorCode]), [['f-g', ErrorCode.COORDINATOR_NOT_AVAILABLE], ['other', ErrorCode.COORDINATOR_NOT_AVAILABLE]], 'every group named gets the error');
  t.equal((await c.request(DescribeGroups, 5, { groups: ['f-g'], includeAuthorizedOperations: false })).groups[0]!.groupState, 'Stable', 'the group itself is untouched');
});

t.test('after the handler: a Produce written but answered with an error; kafkajs retries it, idempotence keeps one copy', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-after');
  await http('POST', '/faults', { apiKey: 0, topic: 'f-after', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, after: true, times: 1 });
  t.equal(await produceOne(c, 'f-after', 'a'), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the client hears the error');
  t.equal(await endOffset(c, 'f-after'), 1n, 'yet the record was written');
  const kafka = new Kafka({ clientId: 'faults-after', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 5 } });
  for (const idempotent of [true, false]) {
    await http('POST', '/faults', { apiKey: 0, topic: 'f-after', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, after: true, times: 1 });
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent, maxInFlightRequests: idempotent ? 1 : undefined });
    await producer.connect();
    const before = await endOffset(c, 'f-after');
    await producer.send({ topic: 'f-after', acks: -1, messages: [{ value: `v-${idempotent}` }] });
    await producer.disconnect();
    t.equal(await endOffset(c, 'f-after') - before, idempotent ? 1n : 2n, idempotent ? 'idempotent: the retry is answered with the first copy' : 'not idempotent: the retry writes a second copy, as on Kafka');
  }
});

t.test('after the handler, disconnect: the commit took effect, its answer is lost', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await createTopic(c, 'f-lost');
  await http('POST', '/faults', { apiKey: 0, topic: 'f-lost', disconnect: true, after: true, times: 1 });
  const lost = await RawClient.connect(broker.port);
  await t.rejects(produceOne(lost, 'f-lost', 'x'), /connection closed/);
  t.equal(await endOffset(c, 'f-lost'), 1n, 'written before the connection closed');
});

t.test('every API of clients whose id contains a string; a delay before an error; an error on one partition of a Fetch', async (t) => {
  const c = await RawClient.connect(broker.port);
  t.teardown(() => c.close());
  await http('POST', '/faults', { delayMs: 300, clientIdContains: 'slow', always: true });
  const slowOne = await RawClient.connect(broker.port);
  slowOne.clientId = 'my-slow-app';
  t.teardown(() => slowOne.close());
  let t0 = performance.now();
  await metadata(slowOne);
  await slowOne.request(ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  t.ok(performance.now() - t0 >= 550, 'two APIs of the slow client were each delayed');
  t0 = performance.now();
  await metadata(c);
  t.ok(performance.now() - t0 < 300, 'another client was not');
  await http('DELETE', '/faults');

  await http('POST', '/faults', { apiKey: 3, delayMs: 200, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, times: 1 });
  t0 = performance.now();
  const res = await c.request(Metadata, 12, { topics: [{ name: 'nope', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'the error');
  t.ok(performance.now() - t0 >= 180, 'after the delay');

  const made = await c.request(CreateTopics, 7, { topics: [{ name: 'f-fetch', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  t.equal(made.topics[0]!.errorCode, 0);
  const produced = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'f-fetch', topicId: Buffer.alloc(16), partitionData: [0, 1].map((index) => ({ index, records: buildRecordBatch([{ key: null, value: Buffer.from(`p${index}`), timestamp: BigInt(Date.now()) }]) })) }] });
  t.same(produced.responses[0]!.partitionResponses.map((p) => p.errorCode), [0, 0]);
  await http('POST', '/faults', { apiKey: 1, topic: 'f-fetch', partition: 1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 1 });
  const fetched = await c.request(Fetch, 12, fetchRequest('f-fetch', [0, 1], 0n));
  const parts = new Map(fetched.responses[0]!.partitions.map((p) => [p.partitionIndex, p]));
  t.same([parts.get(0)?.errorCode, parts.get(0)?.highWatermark, (parts.get(0)?.records?.length ?? 0) > 0], [0, 1n, true], 'partition 0 served with its record');
  t.same([parts.get(1)?.errorCode, parts.get(1)?.records ?? null], [ErrorCode.NOT_LEADER_OR_FOLLOWER, null], 'partition 1 failed');
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
  t.match(bad.json, { error: /needs one action/ });
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

  // Hold, awaited in process: act at the moment a Produce is in flight, then let it go.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const hold = b.faults.add({ apiKey: 0, hold: true });
  const sent = producer.send({ topic: 'f-embedded', messages: [{ value: 'held' }] });
  await b.faults.whenHeld(hold.id, 10_000);
  t.same((await admin.fetchTopicOffsets('f-embedded')).map((o) => o.high), ['0'], 'held: not appended yet, other requests served');
  t.equal(b.faults.release(hold.id), 1);
  t.equal((await sent)[0]!.baseOffset, '0');

  // A response made by a function: only the fields it names differ from the API's plain answer.
  b.faults.add({ apiKey: 3, respond: (req, version) => ({ clusterId: `made-up-v${version}`, controllerId: 77 }), clientId: 'raw', times: 1 });
  const raw = await RawClient.connect(b.port);
  t.teardown(() => raw.close());
  const made = await metadata(raw);
  t.same([made.clusterId, made.controllerId, made.brokers], ['made-up-v12', 77, []], 'the made-up Metadata');
  t.equal((await metadata(raw)).clusterId, b.clusterId, 'then the real one');
});
