/**
 * Garbage on one connection never disturbs another. A real broker process gets truncated frames,
 * huge and negative length fields, unknown API keys and versions, random bytes and batches with a
 * wrong CRC; each bad connection is answered or closed, a healthy connection keeps being served
 * throughout, and the broker's memory stays bounded.
 */
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { ApiVersions, CreateTopics, Metadata, Produce } from '../src/protocol/generated/index.js';
import { Writer } from '../src/protocol/wire.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient, decodeResponse, requestFrame } from './raw-client.js';

let broker: BrokerProcess;
let healthy: RawClient;
const data = tmpDataDir();

t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir });
  healthy = await RawClient.connect(broker.port);
});
t.teardown(async () => {
  healthy?.close();
  await broker?.stop();
  data.remove();
});

async function stillServing(t: Test): Promise<void> {
  const res = await healthy.request(ApiVersions, 3, { clientSoftwareName: 'healthy', clientSoftwareVersion: '1' });
  t.equal(res.errorCode, 0, 'the healthy connection is still answered');
}

function frameWithSize(size: number, body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(size, 0);
  body.copy(b, 4);
  return b;
}

t.test('a frame size over socket.request.max.bytes closes the connection', async (t) => {
  const c = await RawClient.connect(broker.port);
  c.write(frameWithSize(0x7fffffff, Buffer.alloc(16)));
  await c.whenClosed;
  t.ok(c.closed);
  await stillServing(t);
});

t.test('a negative or too-small frame size closes the connection', async (t) => {
  for (const size of [-1, -2147483648, 0, 3]) {
    const c = await RawClient.connect(broker.port);
    c.write(frameWithSize(size, Buffer.alloc(8)));
    await c.whenClosed;
    t.ok(c.closed, `size ${size}`);
  }
  await stillServing(t);
});

t.test('a truncated frame is waited for, never misread; closing it harms nothing', async (t) => {
  const c = await RawClient.connect(broker.port);
  const full = requestFrame(Metadata, 1, 7, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  c.write(full.subarray(0, full.length - 3));
  await t.rejects(c.nextFrame(300), /no response/, 'no answer to half a frame');
  c.write(full.subarray(full.length - 3));
  const frame = await c.nextFrame();
  t.ok(frame, 'the completed frame is answered');
  c.write(full.subarray(0, 10));
  c.close();
  await stillServing(t);
});

t.test('unknown API key and unsupported version close the connection', async (t) => {
  for (const [key, version] of [
    [30000, 0],
    [-5, 0],
    [Metadata.apiKey, 99],
    [Produce.apiKey, 12],
  ] as const) {
    const c = await RawClient.connect(broker.port);
    const w = new Writer();
    w.int32(0);
    w.int16(key);
    w.int16(version);
    w.int32(1);
    w.nullableString('bad');
    w.raw(Buffer.alloc(20));
    const f = w.finish();
    f.writeInt32BE(f.length - 4, 0);
    c.write(Buffer.from(f));
    t.equal(await c.nextFrame(), null, `key ${key} v${version}: closed without a response`);
  }
  await stillServing(t);
});

t.test('ApiVersions at an unknown version gets UNSUPPORTED_VERSION and its own range', async (t) => {
  const c = await RawClient.connect(broker.port);
  const w = new Writer();
  w.int32(0);
  w.int16(ApiVersions.apiKey);
  w.int16(77);
  w.int32(42);
  w.nullableString('future-client');
  w.raw(Buffer.from([0, 0, 0, 0]));
  const f = w.finish();
  f.writeInt32BE(f.length - 4, 0);
  c.write(Buffer.from(f));
  const frame = await c.nextFrame();
  t.ok(frame);
  const res = decodeResponse(ApiVersions, 0, frame!, 42);
  t.equal(res.errorCode, 35);
  t.same(res.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  c.close();
});

t.test('a malformed body (array count past the frame) closes the connection', async (t) => {
  const c = await RawClient.connect(broker.port);
  const w = new Writer();
  w.int32(0);
  w.int16(Metadata.apiKey);
  w.int16(1);
  w.int32(3);
  w.nullableString('liar');
  w.int32(1_000_000_000);
  const f = w.finish();
  f.writeInt32BE(f.length - 4, 0);
  c.write(Buffer.from(f));
  t.equal(await c.nextFrame(), null);
  await stillServing(t);
});

t.test('a batch with a wrong CRC is answered with CORRUPT_MESSAGE', async (t) => {
  const c = await RawClient.connect(broker.port);
  const created = await c.request(CreateTopics, 4, {
    topics: [{ name: 'crc-test', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  t.equal(created.topics[0]!.errorCode, 0);
  const batch = buildRecordBatch([{ key: null, value: Buffer.from('payload') }]);
  batch[batch.length - 1]! ^= 0xff;
  const res = await c.request(Produce, 7, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'crc-test', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch }] }],
  });
  t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 2, 'CORRUPT_MESSAGE');
  const good = await c.request(Produce, 7, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'crc-test', topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('ok') }]) }] }],
  });
  t.equal(good.responses[0]!.partitionResponses[0]!.errorCode, 0, 'the same connection still produces');
  t.equal(good.responses[0]!.partitionResponses[0]!.baseOffset, 0n, 'the corrupt batch took no offset');
  c.close();
});

t.test('random bytes on many connections: each answered or closed, memory bounded', async (t) => {
  const rssBefore = broker.rssKiB();
  let seed = 1;
  for (let round = 0; round < 200; round++) {
    const c = await RawClient.connect(broker.port);
    const junk = randomBytes(16 + ((seed = (seed * 48271) % 2147483647) % 4000));
    if (round % 3 === 0) junk.writeInt32BE(junk.length - 4, 0); // a plausible size with garbage inside
    c.write(junk);
    const outcome = await Promise.race([c.whenClosed.then(() => 'closed'), c.nextFrame(2000).then(() => 'answered', () => 'waiting')]);
    c.close();
    if (outcome === 'waiting' && round % 3 === 0) t.fail(`round ${round}: a whole garbage frame was neither answered nor closed`);
  }
  // Many connections each claiming a 90 MiB frame but sending only 64 KiB: held bytes are what
  // arrived, not what was claimed.
  const clients: RawClient[] = [];
  for (let i = 0; i < 50; i++) {
    const c = await RawClient.connect(broker.port);
    c.write(frameWithSize(90 * 1024 * 1024, randomBytes(64 * 1024)));
    clients.push(c);
  }
  await new Promise((r) => setTimeout(r, 300));
  const rssAfter = broker.rssKiB();
  for (const c of clients) c.close();
  t.ok(rssAfter - rssBefore < 200 * 1024, `RSS grew ${Math.round((rssAfter - rssBefore) / 1024)} MiB (< 200 MiB)`);
  await stillServing(t);
});
