/**
 * Broker-side compression (compression.type, KIP-390 levels; src/log/recompress.ts) and the
 * encoders behind it (src/log/compression-encoders.ts), against real clients:
 *  - the encoders' output read by kafka-python's own decoders (kafka.codec: python-snappy's
 *    xerial reader, python-lz4's frame decoder, python-zstandard), no broker;
 *  - a topic per compression.type (zstd at level 9, gzip at 1, snappy, lz4 at 17, uncompressed)
 *    produced by kafkajs with another codec: every stored batch carries the topic's codec (read
 *    from the segment file), and kafka-python, librdkafka (confluent-kafka-python), kafkajs (for
 *    zstd with a codec on the WebAssembly libzstd), the Java client 4.4.0 (Kafka's own decoders:
 *    lz4-java with its frame checks, snappy-java, zstd-jni) and franz-go read every record back,
 *    keys, values and offsets;
 *  - a compacted zstd topic produced uncompressed by kafkajs, cleaned: the cleaner's rewritten
 *    batches are zstd again, and the three clients read the latest value of every key;
 *  - the same recompression by a broker without the addon (SLUICE_NATIVE=off: the twin);
 *  - keyless records refused by a compacted zstd topic whatever codec they come in.
 */
import t, { type Test } from 'tap';
import { Zstd } from '@hpcc-js/wasm-zstd';
import kafkajs, { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compress } from '../src/log/compression-encoders.js';
import { Compression, splitBatches } from '../src/log/record-batch.js';
import { encoderInputs } from '../src/log/compression-fixtures.js';
import { franzDriver, javaDriver } from './client-drivers.js';
import { driverRun } from './newest-clients.js';
import { parseRecordLines, python, readWithKafkajsGroup, requireTool, spawnBroker, stopBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';

requireTool('kafka');
requireTool('confluent_kafka');
requireTool('zstandard');
javaDriver.check();
franzDriver.check();

// kafkajs has no zstd codec of its own: one on libzstd compiled to WebAssembly.
const wasm = await Zstd.load();
kafkajs.CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => Buffer.from(wasm.compress(encoder.buffer, 3)),
  decompress: async (buf: Buffer) => Buffer.from(wasm.decompress(buf)),
});

const kafkaFor = (bootstrap: string) => new Kafka({ clientId: 'compat-recompression', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });

const CODEC_IDS: Record<string, number> = { uncompressed: Compression.none, gzip: Compression.gzip, snappy: Compression.snappy, lz4: Compression.lz4, zstd: Compression.zstd };

t.test('encoders: kafka-python\'s decoders (python-snappy, python-lz4, python-zstandard, gzip) read what the broker writes', async (t) => {
  const jobs: Array<{ name: string; codec: string; plain: Buffer; data: Buffer }> = [];
  for (const [codec, id] of Object.entries(CODEC_IDS)) {
    if (id === Compression.none) continue;
    for (const [name, plain] of encoderInputs()) {
      for (const level of codec === 'lz4' ? [1, 9, 17] : codec === 'zstd' ? [-5, 3, 19] : codec === 'gzip' ? [1, -1] : [0]) {
        const levels = { gzip: codec === 'gzip' ? level : -1, lz4: codec === 'lz4' ? level : 9, zstd: codec === 'zstd' ? level : 3 };
        jobs.push({ name: `${codec} ${level}: ${name}`, codec, plain, data: compress(id, plain, levels) });
      }
    }
  }
  const input = jobs.map((j) => JSON.stringify({ codec: j.codec, data: j.data.toString('base64') })).join('\n');
  const lines = (await python('codec_decode.py', [], { input, timeoutMs: 120_000 })).stdout.split('\n').filter((l) => l.startsWith('{'));
  t.equal(lines.length, jobs.length);
  let ok = 0;
  jobs.forEach((j, i) => {
    const out = JSON.parse(lines[i]!) as { plain?: string; error?: string };
    if (out.plain !== undefined && Buffer.from(out.plain, 'base64').equals(j.plain)) ok++;
    else t.fail(`${j.name}: ${out.error ?? 'decoded to other bytes'}`);
  });
  t.equal(ok, jobs.length, `${ok} of ${jobs.length} outputs decoded to their input`);
});

interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
}

/** The codec of every batch stored for partition 0 of `topic` (its segment files, in order). */
function storedCodecs(dataDir: string, topic: string): number[] {
  const dir = join(dataDir, `${topic}-0`);
  const logs = readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  return logs.flatMap((n) => splitBatches(readFileSync(join(dir, n))).map((b) => b.readInt16BE(21) & 7));
}

const fromB64 = (v: string | null): string | null => (v === null ? null : Buffer.from(v, 'base64').toString());

async function readPython(script: string, bootstrap: string, topic: string): Promise<Rec[]> {
  return parseRecordLines((await python(script, [bootstrap, topic, '1'])).stdout).map((r) => ({ offset: r.offset, key: fromB64(r.key), value: fromB64(r.value) }));
}

async function readKafkajs(bootstrap: string, topic: string, count: number): Promise<Rec[]> {
  return (await readWithKafkajsGroup(kafkaFor(bootstrap), topic, (read) => read.length >= count)).sort((a, b) => a.offset - b.offset);
}

async function createTopic(bootstrap: string, topic: string, configs: Record<string, string>): Promise<void> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  } finally {
    await admin.disconnect();
  }
}

/** Sends `rounds` batches of `perRound` keyed records with `codec`; returns what was sent with offsets. */
async function produce(bootstrap: string, topic: string, codec: CompressionTypes, rounds: number, perRound: number, keyOf = (i: number) => `key-${i}`): Promise<Rec[]> {
  const producer = kafkaFor(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent: Rec[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const messages = Array.from({ length: perRound }, (_, i) => ({ key: keyOf(i), value: `round ${r} record ${i} ${'payload '.repeat(i % 9)}`, partition: 0, headers: { h: `r${r}` } }));
      const [res] = await producer.send({ topic, acks: -1, compression: codec, messages });
      const base = Number(res!.baseOffset);
      messages.forEach((m, i) => sent.push({ offset: base + i, key: m.key, value: m.value }));
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

async function withBroker(t: Test, prefix: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<BrokerProcess> {
  const data = tmpDataDir(prefix);
  const broker = await spawnBroker({ dataDir: data.dir, env, args });
  t.teardown(async () => {
    await stopBroker(broker);
    data.remove();
  });
  return broker;
}

const TARGETS: Array<{ type: string; levels: Record<string, string>; sentWith: CompressionTypes }> = [
  { type: 'zstd', levels: { 'compression.zstd.level': '9' }, sentWith: CompressionTypes.None },
  { type: 'gzip', levels: { 'compression.gzip.level': '1' }, sentWith: CompressionTypes.None },
  { type: 'snappy', levels: {}, sentWith: CompressionTypes.GZIP },
  { type: 'lz4', levels: { 'compression.lz4.level': '17' }, sentWith: CompressionTypes.None },
  { type: 'uncompressed', levels: {}, sentWith: CompressionTypes.ZSTD },
];

t.test('compression.type: the leader recompresses to the topic\'s codec; kafka-python, librdkafka, kafkajs, the Java client and franz-go read every record', async (t) => {
  const broker = await withBroker(t, 'sluice-recompress-');
  for (const target of TARGETS) {
    const topic = `recompress-${target.type}`;
    await createTopic(broker.bootstrap, topic, { 'compression.type': target.type, ...target.levels });
    const sent = await produce(broker.bootstrap, topic, target.sentWith, 4, 150);
    t.same(storedCodecs(broker.dataDir, topic), [1, 2, 3, 4].map(() => CODEC_IDS[target.type]), `${target.type}: every stored batch is ${target.type}`);
    t.same(await readPython('kp_read.py', broker.bootstrap, topic), sent, `${target.type}: kafka-python reads every record`);
    t.same(await readPython('ck_read.py', broker.bootstrap, topic), sent, `${target.type}: librdkafka reads every record`);
    if (target.type !== 'snappy' && target.type !== 'lz4') t.same(await readKafkajs(broker.bootstrap, topic, sent.length), sent, `${target.type}: kafkajs reads every record`);
    for (const d of [javaDriver, franzDriver]) {
      const read = (await driverRun(d, ['read', broker.bootstrap, topic, '1', 'read_uncommitted', String(sent.length)])).map((r) => ({ offset: Number(r.offset), key: fromB64(r.key as string | null), value: fromB64(r.value as string | null) }));
      t.same(read, sent, `${target.type}: ${d.label} reads every record`);
    }
  }
  // A batch already in the topic's codec is kept as the producer wrote it.
  const topic = 'recompress-zstd';
  await produce(broker.bootstrap, topic, CompressionTypes.ZSTD, 1, 10);
  t.same(storedCodecs(broker.dataDir, topic), [4, 4, 4, 4, 4], 'a zstd batch sent to the zstd topic: stored as zstd (kept as sent)');
});

t.test('a compacted zstd topic: batches produced uncompressed are stored as zstd, cleaned as zstd, read by three clients', async (t) => {
  const broker = await withBroker(t, 'sluice-recompress-compact-', {}, ['--override', 'log.cleaner.backoff.ms=200']);
  const topic = 'compacted-zstd-kafkajs';
  await createTopic(broker.bootstrap, topic, {
    'cleanup.policy': 'compact',
    'compression.type': 'zstd',
    'min.cleanable.dirty.ratio': '0.01',
    'internal.segment.bytes': '4096',
    'segment.ms': '300',
  });
  const sent = await produce(broker.bootstrap, topic, CompressionTypes.None, 12, 20);
  await new Promise((r) => setTimeout(r, 400));
  sent.push(...(await produce(broker.bootstrap, topic, CompressionTypes.None, 1, 1, () => 'sentinel')));
  const latest = new Map<string, Rec>();
  for (const r of sent) latest.set(r.key!, r);
  const final = [...latest.values()].sort((a, b) => a.offset - b.offset);
  await until('a cleaning', () => /cleaned compacted-zstd-kafkajs-0/.test(broker.output()), 30000, () => broker.output());
  const read = await until('the cleaned log', async () => {
    const r = await readPython('ck_read.py', broker.bootstrap, topic);
    return r.length === final.length ? r : null;
  }, 30000);
  t.same(read, final, `librdkafka: the latest value of every key (${read.length} left of ${sent.length})`);
  t.same(await readPython('kp_read.py', broker.bootstrap, topic), final, 'kafka-python: the same');
  t.same(await readKafkajs(broker.bootstrap, topic, final.length), final, 'kafkajs: the same');
  const codecs = storedCodecs(broker.dataDir, topic);
  t.ok(codecs.length > 0 && codecs.every((c) => c === Compression.zstd), `every stored batch is zstd (${codecs.length})`);
});

t.test('without the addon (SLUICE_NATIVE=off) the WebAssembly twin compresses: zstd stored, librdkafka reads', async (t) => {
  const broker = await withBroker(t, 'sluice-recompress-twin-', { SLUICE_NATIVE: 'off' });
  t.match(broker.output(), /running on the TypeScript implementations/);
  const topic = 'twin-zstd';
  await createTopic(broker.bootstrap, topic, { 'compression.type': 'zstd', 'compression.zstd.level': '19' });
  const sent = await produce(broker.bootstrap, topic, CompressionTypes.GZIP, 2, 100);
  t.same(storedCodecs(broker.dataDir, topic), [Compression.zstd, Compression.zstd]);
  t.same(await readPython('ck_read.py', broker.bootstrap, topic), sent, 'librdkafka reads every record');
});

t.test('a compacted zstd topic refuses keyless records, zstd-compressed or not (INVALID_RECORD), before any recompression', async (t) => {
  const broker = await withBroker(t, 'sluice-recompress-keyless-');
  const topic = 'compacted-zstd-keyless';
  await createTopic(broker.bootstrap, topic, { 'cleanup.policy': 'compact', 'compression.type': 'zstd' });
  const producer = kafkaFor(broker.bootstrap).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    for (const codec of [CompressionTypes.ZSTD, CompressionTypes.None, CompressionTypes.GZIP]) {
      const err = await producer.send({ topic, acks: -1, compression: codec, messages: [{ key: 'k', value: 'a', partition: 0 }, { value: 'no key', partition: 0 }] }).then(
        () => null,
        (e: Error & { type?: string }) => e,
      );
      t.equal(err?.type, 'INVALID_RECORD', `codec ${codec}: refused with INVALID_RECORD`);
    }
    await producer.send({ topic, acks: -1, compression: CompressionTypes.ZSTD, messages: [{ key: 'k', value: 'kept', partition: 0 }] });
  } finally {
    await producer.disconnect();
  }
  t.same(storedCodecs(broker.dataDir, topic), [Compression.zstd], 'only the keyed batch is stored, as zstd');
  t.same(await readPython('kp_read.py', broker.bootstrap, topic), [{ offset: 0, key: 'k', value: 'kept' }]);
});
