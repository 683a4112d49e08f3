/**
 * Log compaction against a real `sluice start` process: a topic created by kafkajs with
 * cleanup.policy=compact (small segments, dirty ratio 0.01, short delete.retention.ms) and a
 * broker whose cleaner runs every 200 ms (log.cleaner.backoff.ms). After cleaning, kafkajs (a
 * consumer in a group), librdkafka (confluent-kafka-python) and kafka-python each read exactly the
 * latest value of every key, in offset order, across the offset gaps; tombstones are gone after
 * delete.retention.ms. zstd batches written by librdkafka are compacted too (read back by
 * librdkafka: kafkajs has no zstd codec). A kill -9 of the
 * broker while it cleans loses no acknowledged update.
 */
import t, { type Test } from 'tap';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecordLines, python, readWithKafkajsGroup, requireTool, spawnBroker, stopBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';

const kafkaFor = (bootstrap: string) =>
  new Kafka({ clientId: 'compat-compaction', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

const fromB64 = (v: string | null): string | null => (v === null ? null : Buffer.from(v, 'base64').toString());

/** Reads partition 0 of `topic` with confluent-kafka (librdkafka) from the beginning to the end. */
async function readWithLibrdkafka(bootstrap: string, topic: string): Promise<Rec[]> {
  return parseRecordLines((await python('ck_read.py', [bootstrap, topic, '1'])).stdout).map((r) => ({ offset: r.offset, key: fromB64(r.key)!, value: fromB64(r.value) }));
}

async function readWithKafkaPython(bootstrap: string, topic: string): Promise<Rec[]> {
  return parseRecordLines((await python('kp_read.py', [bootstrap, topic, '1'])).stdout).map((r) => ({ offset: r.offset, key: fromB64(r.key)!, value: fromB64(r.value) }));
}

/** Sends one message per key (`${key}` -> value) as one batch; returns their offsets. */
async function sendRound(producer: Producer, topic: string, entries: Array<[string, string | null]>): Promise<Rec[]> {
  const res = await producer.send({ topic, acks: -1, messages: entries.map(([key, value]) => ({ key, value, partition: 0 })) });
  const base = Number(res[0]!.baseOffset);
  return entries.map(([key, value], i) => ({ offset: base + i, key, value }));
}

/** The latest record of every key, tombstones dropped, in offset order. */
function latest(sent: Rec[], dropTombstones: boolean): Rec[] {
  const last = new Map<string, Rec>();
  for (const r of sent) last.set(r.key, r);
  return [...last.values()].filter((r) => !dropTombstones || r.value !== null).sort((a, b) => a.offset - b.offset);
}

async function createCompactedTopic(bootstrap: string, topic: string, extra: Array<{ name: string; value: string }>): Promise<void> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }, ...extra],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** A broker whose cleaner runs every 200 ms, stopped and removed when the test ends. */
async function cleaningBroker(t: Test, prefix: string): Promise<BrokerProcess> {
  const data = tmpDataDir(prefix);
  let broker: BrokerProcess | undefined;
  t.teardown(async () => {
    await stopBroker(broker);
    data.remove();
  });
  broker = await spawnBroker({ dataDir: data.dir, args: ['--override', 'log.cleaner.backoff.ms=200'] });
  return broker;
}

/** Reads with librdkafka until it gets `count` records (a cleaning pass may still be due), 30 s at most. */
async function readUntilCount(bootstrap: string, topic: string, count: number): Promise<Rec[]> {
  let read: Rec[] = [];
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    read = await readWithLibrdkafka(bootstrap, topic);
    if (read.length === count) break;
    await sleep(500);
  }
  return read;
}

t.before(() => {
  requireTool('confluent_kafka');
  requireTool('kafka');
});

t.test('after cleaning, kafkajs, librdkafka and kafka-python read exactly the latest value per key', async (t) => {
  const broker = await cleaningBroker(t, 'sluice-compaction-');
  const topic = 'compacted';
  await createCompactedTopic(broker.bootstrap, topic, [
    { name: 'internal.segment.bytes', value: '4096' },
    { name: 'segment.ms', value: '300' },
    { name: 'delete.retention.ms', value: '1500' },
  ]);
  const producer = kafkaFor(broker.bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
  const sent: Rec[] = [];
  for (let round = 0; round < 50; round++) sent.push(...(await sendRound(producer, topic, keys.map((k) => [k, `${k}=round-${round}`]))));
  sent.push(...(await sendRound(producer, topic, keys.slice(0, 5).map((k) => [k, null]))));
  // segment.ms rolls only on an append: wait past it, then one more record seals the tail.
  await sleep(400);
  sent.push(...(await sendRound(producer, topic, [['sentinel', 'one']])));
  await producer.disconnect();
  const lastOffset = sent[sent.length - 1]!.offset;

  const withTombstones = latest(sent, false);
  const final = latest(sent, true);
  await until('the first cleaning (tombstones kept)', () => /cleaned compacted-0/.test(broker.output()), 20000, () => broker.output());
  // Tombstones stay for delete.retention.ms after their first cleaning, then a pass removes them.
  const first = await readWithLibrdkafka(broker.bootstrap, topic);
  t.ok(first.length <= withTombstones.length + 1, `first read after cleaning: ${first.length} records of ${sent.length} sent`);
  const read = await readUntilCount(broker.bootstrap, topic, final.length);
  t.same(read, final, 'librdkafka: the latest value of every key, tombstoned keys gone, in offset order');
  t.same(await readWithKafkaPython(broker.bootstrap, topic), final, 'kafka-python: the same');
  t.same(await readWithKafkajsGroup(kafkaFor(broker.bootstrap), topic, (read) => read.some((r) => r.offset >= lastOffset)), final, 'kafkajs consumer group: the same');
  t.ok(final.length < 20 && final[0]!.offset > 0, `${final.length} records left of ${sent.length}, first at offset ${final[0]!.offset}`);
});

/** Produces `entries` to partition 0 with confluent-kafka (librdkafka) compressing with zstd; returns them with their offsets. */
async function sendZstd(bootstrap: string, topic: string, entries: Array<[string, string]>): Promise<Rec[]> {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const input = entries.map(([key, value]) => JSON.stringify({ partition: 0, key: b64(key), value: b64(value) })).join('\n');
  const { stdout } = await python('ck_produce.py', [bootstrap, topic, '--compression', 'zstd'], { input });
  const offsets = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { offset: number }).offset);
  if (offsets.length !== entries.length) throw new Error(`ck_produce.py acknowledged ${offsets.length} of ${entries.length}`);
  return entries.map(([key, value], i) => ({ offset: offsets[i]!, key, value }));
}

t.test('zstd batches from librdkafka are compacted: librdkafka reads the latest value per key', async (t) => {
  const broker = await cleaningBroker(t, 'sluice-compaction-zstd-');
  const topic = 'compacted-zstd';
  await createCompactedTopic(broker.bootstrap, topic, [
    { name: 'internal.segment.bytes', value: '4096' },
    { name: 'segment.ms', value: '300' },
  ]);
  const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
  const sent: Rec[] = [];
  // Values partly random so that the zstd batches still fill several 4 KiB segments.
  for (let round = 0; round < 8; round++) sent.push(...(await sendZstd(broker.bootstrap, topic, keys.map((k) => [k, `${k}=round-${round}-${randomBytes(48).toString('hex')}`]))));
  await sleep(400);
  sent.push(...(await sendZstd(broker.bootstrap, topic, [['sentinel', 'one']])));
  const final = latest(sent, true);
  await until('a cleaning', () => /cleaned compacted-zstd-0/.test(broker.output()), 20000, () => broker.output());
  const read = await readUntilCount(broker.bootstrap, topic, final.length);
  t.same(read, final, `librdkafka: the latest value of every key, in offset order (${read.length} records left of ${sent.length})`);
});

t.test('kill -9 of the broker while it cleans loses no acknowledged update', async (t) => {
  const data = tmpDataDir('sluice-compaction-kill-');
  let broker: BrokerProcess | undefined;
  t.teardown(async () => {
    await stopBroker(broker);
    data.remove();
  });
  const start = () => spawnBroker({ dataDir: data.dir, args: ['--override', 'log.cleaner.backoff.ms=20'] });
  broker = await start();
  const topic = 'compacted-kill';
  const dir = join(data.dir, `${topic}-0`);
  await createCompactedTopic(broker.bootstrap, topic, [{ name: 'internal.segment.bytes', value: '65536' }]);
  const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
  const pad = 'x'.repeat(200);
  const sent: Rec[] = [];
  const interrupted: string[] = [];
  for (let cycle = 0; cycle < 4; cycle++) {
    // A burst of about 1.6 MB (some 25 segments) for the cleaner, then a kill at a random moment
    // of the passes that follow (the cleaner wakes every 20 ms).
    const producer = kafkaFor(broker.bootstrap).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let round = 0; round < 40; round++) sent.push(...(await sendRound(producer, topic, keys.map((k) => [k, `${k}=c${cycle}-r${round}-${pad}`]))));
    await producer.disconnect();
    await sleep(Math.floor(Math.random() * 80));
    await broker.kill9();
    const leftovers = readdirSync(dir).filter((n) => n === 'cleaning' || n === 'clean-swap');
    interrupted.push(leftovers.length === 0 ? 'none' : leftovers.join('+'));

    broker = await start();
    t.notOk(existsSync(join(dir, 'cleaning')) || existsSync(join(dir, 'clean-swap')), `cycle ${cycle}: open() finished or undid an interrupted swap`);
    const read = await readWithLibrdkafka(broker.bootstrap, topic);
    const offsets = read.map((r) => r.offset);
    t.ok(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!), `cycle ${cycle}: offsets increase, no duplicate`);
    t.same(latest(read, false), latest(sent, false), `cycle ${cycle}: the latest value of every key is the last one acknowledged`);
    const sentAt = new Map(sent.map((r) => [r.offset, r]));
    t.ok(read.every((r) => sentAt.get(r.offset)?.value === r.value && sentAt.get(r.offset)?.key === r.key), `cycle ${cycle}: every record read was sent, at that offset`);
    t.comment(`cycle ${cycle}: ${read.length} of ${sent.length} records left`);
  }
  t.comment(`swap files found at each kill: ${interrupted.join(', ')}`);
  t.match(broker.output(), /cleaned compacted-kill-0|ready in/);
});
