/**
 * librdkafka (kcat, confluent-kafka-python) and kafka-python against a real `sluice start`
 * process: metadata listing, producing with every codec librdkafka has, and reading back with
 * each client in assign mode, compared record by record.
 */
import t, { type Test } from 'tap';
import { b64, parseRecordLines, python, requireTool, run, spawnBroker, tmpDataDir, type BrokerProcess, type ReadRecord } from './harness.js';

let broker: BrokerProcess;
const data = tmpDataDir();

t.before(async () => {
  requireTool('kcat');
  requireTool('confluent_kafka');
  requireTool('kafka');
  broker = await spawnBroker({ dataDir: data.dir, args: ['--override', 'num.partitions=3'] });
});
t.teardown(async () => {
  await broker?.stop();
  data.remove();
});

interface Rec {
  partition: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp: number;
}

/** Null keys and null values, but never both (kafka-python refuses a record with neither). */
function records(n: number, partitions: number, tag: string): Rec[] {
  const base = Date.now() - 50_000;
  return Array.from({ length: n }, (_, i) => ({
    partition: i % partitions,
    key: i % 4 === 0 ? null : b64(`${tag}-k${i}`),
    value: i % 8 === 5 ? null : b64(`${tag}-v${i}-${'y'.repeat(i % 40)}`),
    headers: i % 2 === 0 ? [['trace', b64(`t${i}`)]] : [],
    timestamp: base + i,
  }));
}

function same(t: Test, got: ReadRecord[], sent: Rec[], what: string): void {
  const key = (r: { partition: number }) => r.partition;
  const parts = [...new Set(sent.map(key))];
  for (const p of parts) {
    const g = got.filter((r) => r.partition === p).map((r) => [r.key, r.value, r.headers, r.timestamp]);
    const s = sent.filter((r) => r.partition === p).map((r) => [r.key, r.value, r.headers, r.timestamp]);
    t.same(g, s, `${what}: partition ${p} holds exactly what was sent, in order`);
  }
}


t.test('kcat -L lists the broker and topics', async (t) => {
  await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'kcat-listed', '-p', '0'], { input: 'one\n' });
  const res = await run('kcat', ['-b', broker.bootstrap, '-L']);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /1 brokers:\s+broker 1 at 127\.0\.0\.1:\d+ \(controller\)/);
  t.match(res.stdout, /topic "kcat-listed" with 3 partitions/, 'auto-created with num.partitions=3');
});

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  t.test(`kcat -P with ${codec}, then kcat -C -o beginning -e stops at the end`, async (t) => {
    const topic = `kcat-${codec}`;
    const lines = Array.from({ length: 2000 }, (_, i) => `${codec}-line-${i}-${'z'.repeat(i % 100)}`);
    const p = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-p', '1', '-z', codec, '-X', 'linger.ms=20'], { input: lines.join('\n') + '\n' });
    t.equal(p.code, 0, p.stderr);
    const c = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '1', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30000 });
    t.equal(c.code, 0, c.stderr);
    t.same(c.stdout.trimEnd().split('\n'), lines, 'every line back, in order');
  });
}

t.test('kcat consume of an empty partition stops at once', async (t) => {
  await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'kcat-empty', '-p', '0'], { input: 'x\n' });
  const c = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'kcat-empty', '-p', '2', '-o', 'beginning', '-e', '-q'], { timeoutMs: 20000 });
  t.equal(c.code, 0, c.stderr);
  t.equal(c.stdout, '');
});

t.test('confluent-kafka-python produces (gzip, lz4); both Python clients read it back', async (t) => {
  const topic = 'ck-produce';
  const sent: Rec[] = [];
  for (const [i, compression] of ['none', 'gzip', 'lz4'].entries()) {
    const batch = records(300, 3, `ck${i}`);
    const out = await python('ck_produce.py', [broker.bootstrap, topic, '--compression', compression, '--acks', i % 2 === 0 ? 'all' : '1'], {
      input: batch.map((r) => JSON.stringify(r)).join('\n'),
    });
    t.equal(out.stdout.trim().split('\n').length, 300, `${compression}: 300 deliveries reported`);
    sent.push(...batch);
  }
  same(t, parseRecordLines((await python('ck_read.py', [broker.bootstrap, topic, '3'])).stdout), sent, 'confluent-kafka read');
  same(t, parseRecordLines((await python('kp_read.py', [broker.bootstrap, topic, '3'])).stdout), sent, 'kafka-python read');
});

// Kafka 4 serves zstd at every Fetch version (it no longer refuses below v10, differential
// scenario div-zstd-old-fetch), so kafka-python with the zstandard module reads it at Fetch v4.
t.test('zstd from confluent-kafka-python reads back with librdkafka and with kafka-python (Fetch v4), as from Kafka 4', async (t) => {
  const topic = 'ck-zstd';
  const sent = records(300, 1, 'zstd');
  await python('ck_produce.py', [broker.bootstrap, topic, '--compression', 'zstd'], { input: sent.map((r) => JSON.stringify(r)).join('\n') });
  same(t, parseRecordLines((await python('ck_read.py', [broker.bootstrap, topic, '1'])).stdout), sent, 'confluent-kafka read');
  same(t, parseRecordLines((await python('kp_read.py', [broker.bootstrap, topic, '1'])).stdout), sent, 'kafka-python read');
});

t.test('kafka-python produces (gzip and none); both Python clients read it back', async (t) => {
  const topic = 'kp-produce';
  const sent: Rec[] = [];
  for (const [i, compression] of [null, 'gzip'].entries()) {
    const batch = records(300, 3, `kp${i}`);
    const args = [broker.bootstrap, topic, '--acks', i === 0 ? 'all' : '1', ...(compression ? ['--compression', compression] : [])];
    const out = await python('kp_produce.py', args, { input: batch.map((r) => JSON.stringify(r)).join('\n') });
    const acked = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: number });
    t.equal(acked.length, 300);
    t.ok(acked.every((a) => a.offset >= 0), 'every record acknowledged with an offset');
    sent.push(...batch);
  }
  same(t, parseRecordLines((await python('kp_read.py', [broker.bootstrap, topic, '3'])).stdout), sent, 'kafka-python read');
  same(t, parseRecordLines((await python('ck_read.py', [broker.bootstrap, topic, '3'])).stdout), sent, 'confluent-kafka read');
});

t.test('after a clean restart every client reads the same records again', async (t) => {
  t.equal(await broker.stop(), 0);
  broker = await spawnBroker({ dataDir: data.dir, args: ['--override', 'num.partitions=3'] });
  const lines = (await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'kcat-lz4', '-p', '1', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30000 })).stdout.trimEnd().split('\n');
  t.equal(lines.length, 2000, 'kcat reads every lz4 record');
  t.equal(lines[1999], `lz4-line-1999-${'z'.repeat(99)}`);
  const ck = parseRecordLines((await python('ck_read.py', [broker.bootstrap, 'ck-produce', '3'])).stdout);
  const kp = parseRecordLines((await python('kp_read.py', [broker.bootstrap, 'ck-produce', '3'])).stdout);
  t.equal(ck.length, 900);
  const byPosition = (a: ReadRecord, b: ReadRecord) => a.partition - b.partition || a.offset - b.offset;
  t.same(kp.sort(byPosition), ck.sort(byPosition), 'kafka-python and librdkafka read identical records');
});
