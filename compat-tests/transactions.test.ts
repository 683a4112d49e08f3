/**
 * Transactions (KIP-98) with real clients against real `sluice start` processes:
 * - kafkajs 2.2.4: commit with sendOffsets, abort, commit again on three partitions; what
 *   read_committed and read_uncommitted readers (kafkajs and librdkafka) see, the markers' offsets,
 *   the last stable offset, and the group offsets sent with the transactions;
 * - confluent-kafka-python: consume-transform-produce, one batch committed and one aborted, then a
 *   second run that resumes from the group's committed offsets;
 * - a broker restart in the middle of a transaction: a new producer with the same transactional id
 *   aborts the unfinished one; and the same librdkafka producer session going on after the restart
 *   (fixed port) either commits everything or nothing;
 * - a transaction open longer than its timeout is aborted by the broker: read_committed readers go
 *   on, and the stale producer's commit is fenced (kafkajs and librdkafka);
 * - transactions v2 (KIP-890 part 2) with raw requests across a broker restart: the epoch bumped
 *   by EndTxn v5, its retry recognised after the restart, the markers' epochs.
 */
import t, { type Test } from 'tap';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import {
  freePort,
  parseRecordLines,
  python,
  PYTHON,
  PY_DIR,
  requireTool,
  spawnBroker,
  spawnWorker,
  stopBroker,
  tmpDataDir,
  until,
  type BrokerProcess,
  type ReadRecord,
  type Worker,
} from './harness.js';
import { join } from 'node:path';
import { RawClient, fetchRequest } from './raw-client.js';
import { ApiVersions, EndTxn, Fetch, InitProducerId, Produce } from '../src/protocol/generated/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { BatchField, buildRecordBatch, splitBatches } from '../src/log/record-batch.js';

/** The broker aborts timed-out transactions every 500 ms instead of every 10 s. */
const FAST_ABORT = ['--override', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=500'];

const kafkaFor = (bootstrap: string, clientId = 'compat-txn') =>
  new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (r: ReadRecord): string => (r.value === null ? '<null>' : Buffer.from(r.value, 'base64').toString());

interface Offsets {
  partition: number;
  low: number;
  high: number;
  lso: number;
  committed: number | null;
}

/** High watermark, last stable offset (and a group's committed offsets) per partition, from librdkafka. */
async function offsetsOf(bootstrap: string, topic: string, partitions: number, group?: string): Promise<Offsets[]> {
  const res = await python('ck_offsets.py', [bootstrap, topic, String(partitions), ...(group ? ['--group', group] : [])], { timeoutMs: 30000 });
  return res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Offsets);
}

/** Reads partitions from the beginning to their end (the LSO for read_committed) with librdkafka. */
async function ckRead(bootstrap: string, topic: string, partitions: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<ReadRecord[]> {
  return parseRecordLines((await python('ck_read.py', [bootstrap, topic, String(partitions), '--isolation', isolation, '--timeout', '20'], { timeoutMs: 40000 })).stdout);
}

/** Values per partition, in offset order. */
function byPartition(records: Array<{ partition: number; value: string }>, partitions: number): string[][] {
  const out: string[][] = Array.from({ length: partitions }, () => []);
  for (const r of records) out[r.partition]!.push(r.value);
  return out;
}

const ckValues = (read: ReadRecord[], partitions: number): string[][] => byPartition(read.map((r) => ({ partition: r.partition, value: text(r) })), partitions);

/**
 * A kafkajs group consumer reading `topic` from the beginning until it has `expected` records,
 * then `settleMs` longer to catch any extra record; resolves with what it saw, per partition.
 */
async function kafkajsRead(bootstrap: string, topic: string, partitions: number, groupId: string, readUncommitted: boolean, expected: number, settleMs = 1500): Promise<string[][]> {
  const consumer = kafkaFor(bootstrap, `reader-${groupId}`).consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200, heartbeatInterval: 500, sessionTimeout: 10000 });
  const got: Array<{ partition: number; offset: number; value: string }> = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '<null>' });
      },
    });
    await until(`${expected} records from kafkajs (${readUncommitted ? 'read_uncommitted' : 'read_committed'})`, () => got.length >= expected, 30000, () => JSON.stringify(got));
    await sleep(settleMs);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return byPartition(
    [...got].sort((a, b) => a.partition - b.partition || a.offset - b.offset),
    partitions,
  );
}

/** A Python client script as a watched worker (python3 -u). */
function pyWorker(name: string, script: string, args: string[]): Worker<Record<string, unknown>> {
  return spawnWorker(name, PYTHON, ['-u', join(PY_DIR, script), ...args]);
}

/** The event ending a ck_txn_produce.py run: committed, aborted or error. */
async function txnOutcome(w: Worker<Record<string, unknown>>, timeoutMs: number): Promise<Record<string, unknown>> {
  return until(
    `${w.name} to end its transaction`,
    () => {
      const ev = w.events.find((e) => e.ev === 'committed' || e.ev === 'aborted' || e.ev === 'error');
      if (ev) return ev;
      const exit = w.exitInfo();
      if (exit) throw new Error(`${w.name} exited without an outcome: ${w.describe()}\nstdout: ${w.lines.join('\n')}`);
      return undefined;
    },
    timeoutMs,
    () => `${w.describe()}\nstdout: ${w.lines.join('\n')}`,
  );
}

async function createTopics(bootstrap: string, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function disconnectQuietly(p: Producer | undefined): Promise<void> {
  await p?.disconnect().catch(() => {});
}

/** Expects every partition's last stable offset to have caught up with its high watermark. */
function assertNotStuck(t: Test, offs: Offsets[], what: string): void {
  t.same(
    offs.map((o) => o.lso),
    offs.map((o) => o.high),
    `${what}: last stable offset equals the high watermark on every partition (${JSON.stringify(offs.map((o) => [o.partition, o.lso, o.high]))})`,
  );
}

t.before(() => requireTool('confluent_kafka'));

// One broker for the tests that do not restart it.
let broker: BrokerProcess;
const data = tmpDataDir('sluice-txn-');
t.before(async () => {
  broker = await spawnBroker({ dataDir: data.dir, args: FAST_ABORT });
});
t.teardown(async () => {
  await stopBroker(broker);
  data.remove();
});

t.test('kafkajs: commit with sendOffsets, abort, commit; read_committed sees only committed records', async (t) => {
  const topic = 'kjs-txn';
  const srcTopic = 'kjs-txn-src';
  const group = 'kjs-txn-group';
  await createTopics(broker.bootstrap, [
    { topic, numPartitions: 3 },
    { topic: srcTopic, numPartitions: 3 },
  ]);
  const producer = kafkaFor(broker.bootstrap, 'kjs-txn-producer').producer({ transactionalId: 'kjs-txn-1', maxInFlightRequests: 1, idempotent: true });
  t.teardown(() => disconnectQuietly(producer));
  await producer.connect();

  // Each transaction: two sends of two records to each of the three partitions.
  const sendTxn = async (tag: string, end: 'commit' | 'abort', offsets?: Array<{ partition: number; offset: string }>): Promise<void> => {
    const txn = await producer.transaction();
    for (const half of [0, 1]) {
      await txn.send({
        topic,
        messages: [0, 1, 2].flatMap((partition) => [0, 1].map((i) => ({ partition, key: `k${i}`, value: `${tag}-${partition}-${half * 2 + i}` }))),
      });
    }
    if (offsets) await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: srcTopic, partitions: offsets }] });
    if (end === 'commit') await txn.commit();
    else await txn.abort();
  };
  await sendTxn('c1', 'commit', [
    { partition: 0, offset: '5' },
    { partition: 1, offset: '7' },
  ]);
  await sendTxn('ab', 'abort', [
    { partition: 0, offset: '50' },
    { partition: 1, offset: '70' },
    { partition: 2, offset: '9' },
  ]);
  await sendTxn('c2', 'commit');
  await producer.disconnect();

  const vals = (tag: string, p: number) => [0, 1, 2, 3].map((i) => `${tag}-${p}-${i}`);
  const committed = [0, 1, 2].map((p) => [...vals('c1', p), ...vals('c2', p)]);
  const everything = [0, 1, 2].map((p) => [...vals('c1', p), ...vals('ab', p), ...vals('c2', p)]);

  // Offsets: 4 records + 1 marker per transaction and partition.
  const offs = await offsetsOf(broker.bootstrap, topic, 3);
  t.same(
    offs.map((o) => [o.partition, o.low, o.high]),
    [0, 1, 2].map((p) => [p, 0, 15]),
    'each partition holds 12 records and 3 control markers (high watermark 15)',
  );
  assertNotStuck(t, offs, 'after three ended transactions');

  t.same(await kafkajsRead(broker.bootstrap, topic, 3, 'kjs-reader-rc', false, 24), committed, 'kafkajs read_committed: exactly the committed records, in order');
  t.same(await kafkajsRead(broker.bootstrap, topic, 3, 'kjs-reader-ru', true, 36), everything, 'kafkajs read_uncommitted: committed and aborted records, in order');

  const rc = await ckRead(broker.bootstrap, topic, 3, 'read_committed');
  t.same(ckValues(rc, 3), committed, 'librdkafka read_committed: exactly the committed records, in order');
  t.same(
    rc.map((r) => [r.partition, r.offset]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
    [0, 1, 2].flatMap((p) => [0, 1, 2, 3, 10, 11, 12, 13].map((o) => [p, o])),
    'librdkafka read_committed: at the offsets around the markers and the aborted records',
  );
  const ru = await ckRead(broker.bootstrap, topic, 3, 'read_uncommitted');
  t.same(ckValues(ru, 3), everything, 'librdkafka read_uncommitted: all 36 records, no control records');

  // Only the offsets sent with the committed transaction count.
  const admin = kafkaFor(broker.bootstrap).admin();
  await admin.connect();
  try {
    const fetched = await admin.fetchOffsets({ groupId: group, topics: [srcTopic] });
    t.same(
      fetched.map((x) => ({ topic: x.topic, partitions: [...x.partitions].sort((a, b) => a.partition - b.partition).map((p) => [p.partition, p.offset]) })),
      [
        {
          topic: srcTopic,
          partitions: [
            [0, '5'],
            [1, '7'],
            [2, '-1'],
          ],
        },
      ],
      'kafkajs admin.fetchOffsets: the offsets of the committed transaction; none of the aborted one',
    );
  } finally {
    await admin.disconnect();
  }
  const ckCommitted = await offsetsOf(broker.bootstrap, srcTopic, 3, group);
  t.same(
    ckCommitted.map((o) => [o.partition, o.committed]),
    [
      [0, 5],
      [1, 7],
      [2, -1001],
    ],
    'librdkafka committed(): the same offsets (-1001: none)',
  );
});

t.test('confluent-kafka: consume-transform-produce, a committed and an aborted batch, then a resumed run', async (t) => {
  const input = 'ctp-in';
  const output = 'ctp-out';
  const group = 'ctp-group';
  await createTopics(broker.bootstrap, [
    { topic: input, numPartitions: 2 },
    { topic: output, numPartitions: 2 },
  ]);
  const inputs = Array.from({ length: 30 }, (_, i) => ({ partition: i % 2, key: Buffer.from(`k${i}`).toString('base64'), value: Buffer.from(`in-${i}`).toString('base64'), headers: [], timestamp: Date.now() }));
  await python('ck_produce.py', [broker.bootstrap, input], { input: inputs.map((r) => JSON.stringify(r)).join('\n') });
  const inputByPartition = [0, 1].map((p) => inputs.filter((r) => r.partition === p).map((r) => Buffer.from(r.value, 'base64').toString()));

  type Batch = { ev: 'batch'; n: number; action: string; records: Array<[number, number, string]>; positions: Array<[number, number]> };
  const ctp = async (plan: string): Promise<Batch[]> => {
    const res = await python('ck_txn_ctp.py', [broker.bootstrap, input, output, group, 'ctp-txn', '--plan', plan, '--timeout', '45'], { timeoutMs: 60000 });
    const events = res.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { ev: string });
    t.ok(
      events.some((e) => e.ev === 'done'),
      `ck_txn_ctp.py --plan ${plan} finished`,
    );
    return events.filter((e): e is Batch => e.ev === 'batch');
  };

  // Run 1: batch 0 (20 records, so from both partitions of 15) committed, batch 1 (5) aborted.
  const run1 = await ctp('commit:20,abort:5');
  t.same(
    run1.map((b) => [b.action, b.records.length]),
    [
      ['commit', 20],
      ['abort', 5],
    ],
    'run 1: a committed batch of 20 and an aborted batch of 5',
  );
  const [b0, b1] = run1 as [Batch, Batch];
  const transformed = (recs: Array<[number, number, string]>) => byPartition(recs.map(([p, , v]) => ({ partition: p, value: `T(${v})` })), 2);

  let rc = await ckRead(broker.bootstrap, output, 2, 'read_committed');
  t.same(ckValues(rc, 2), transformed(b0.records), 'output read_committed after run 1: exactly the transformed records of the committed batch');
  t.same(
    rc.map((r) => `${r.partition} ${JSON.stringify(r.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v, 'base64').toString()]))}`).sort(),
    b0.records.map(([p, o]) => `${p} ${JSON.stringify([['src', `${p}:${o}`]])}`).sort(),
    'each output record carries the source partition:offset of its input record',
  );
  const ru = await ckRead(broker.bootstrap, output, 2, 'read_uncommitted');
  t.same(ckValues(ru, 2), transformed([...b0.records, ...b1.records]), 'output read_uncommitted after run 1: both batches');

  const expectedCommitted = (positions: Array<[number, number]>) =>
    [0, 1].map((p) => {
      const pos = positions.find(([q]) => q === p)?.[1];
      return [p, pos === undefined || pos < 0 ? -1001 : pos];
    });
  t.equal(b0.positions.filter(([, o]) => o > 0).length, 2, `batch 0 read from both partitions: positions ${JSON.stringify(b0.positions)}`);
  t.notSame(expectedCommitted(b1.positions), expectedCommitted(b0.positions), 'the aborted batch moved the positions further');
  let committed = await offsetsOf(broker.bootstrap, input, 2, group);
  t.same(
    committed.map((o) => [o.partition, o.committed]),
    expectedCommitted(b0.positions),
    `group offsets after run 1: the positions of the committed batch ${JSON.stringify(b0.positions)}, not those of the aborted one ${JSON.stringify(b1.positions)}`,
  );

  // Run 2 starts from the group's committed offsets: it sees the aborted batch's inputs again.
  const run2 = await ctp('commit:4,commit:6');
  const seen2 = run2.flatMap((b) => b.records.map(([p, o]) => `${p}:${o}`)).sort();
  const left = [0, 1].flatMap((p) => inputByPartition[p]!.map((_, o) => `${p}:${o}`)).filter((k) => !b0.records.some(([p, o]) => `${p}:${o}` === k)).sort();
  t.same(seen2, left, 'run 2 consumed every input record not in the committed batch, each once (the aborted batch again)');

  rc = await ckRead(broker.bootstrap, output, 2, 'read_committed');
  t.same(
    ckValues(rc, 2),
    inputByPartition.map((vs) => vs.map((v) => `T(${v})`)),
    'output read_committed after both runs: every input record transformed exactly once, in input order',
  );
  committed = await offsetsOf(broker.bootstrap, input, 2, group);
  t.same(
    committed.map((o) => [o.partition, o.committed]),
    [
      [0, 15],
      [1, 15],
    ],
    'group offsets after run 2: the end of the input',
  );
  // Every transaction wrote one marker to each output partition it wrote records to.
  const batches = [...run1, ...run2];
  const outOffsets = await offsetsOf(broker.bootstrap, output, 2);
  t.same(
    outOffsets.map((o) => o.high),
    [0, 1].map((p) => batches.reduce((n, b) => n + b.records.filter(([q]) => q === p).length, 0) + batches.filter((b) => b.records.some(([q]) => q === p)).length),
    'output high watermarks: all records written (aborted ones too) plus one marker per transaction and partition',
  );
  assertNotStuck(t, outOffsets, 'output topic');
});

t.test('broker restart mid-transaction: a new producer with the same transactional id aborts it', async (t) => {
  const d = tmpDataDir('sluice-txn-restart-');
  let b: BrokerProcess | undefined = await spawnBroker({ dataDir: d.dir });
  t.teardown(async () => {
    await stopBroker(b);
    d.remove();
  });
  const topic = 'restart-txn';
  await createTopics(b.bootstrap, [{ topic, numPartitions: 2 }]);
  const p1 = kafkaFor(b.bootstrap, 'restart-p1').producer({ transactionalId: 'restart-kjs', maxInFlightRequests: 1, idempotent: true });
  t.teardown(() => disconnectQuietly(p1));
  await p1.connect();
  const before = await p1.transaction();
  await before.send({ topic, messages: [0, 1].flatMap((partition) => [0, 1, 2].map((i) => ({ partition, value: `before-${partition}-${i}` }))) });
  await before.commit();
  const open = await p1.transaction();
  await open.send({ topic, messages: [0, 1].flatMap((partition) => [0, 1, 2, 3, 4].map((i) => ({ partition, value: `open-${partition}-${i}` }))) });

  t.equal(await stopBroker(b), 0, 'SIGTERM with a transaction open: the broker exits 0');
  await disconnectQuietly(p1);
  b = await spawnBroker({ dataDir: d.dir });

  // The open transaction survived the restart: the LSO still stops at its first record.
  const mid = await offsetsOf(b.bootstrap, topic, 2);
  t.same(
    mid.map((o) => [o.partition, o.lso, o.high]),
    [
      [0, 4, 9],
      [1, 4, 9],
    ],
    'after the restart: 3 committed records + marker, 5 open records; LSO at the first open record',
  );
  t.same(ckValues(await ckRead(b.bootstrap, topic, 2, 'read_committed'), 2), [0, 1].map((p) => [0, 1, 2].map((i) => `before-${p}-${i}`)), 'read_committed: only the committed records');

  // A new producer with the same transactional id (kafkajs retries CONCURRENT_TRANSACTIONS).
  const p2 = kafkaFor(b.bootstrap, 'restart-p2').producer({ transactionalId: 'restart-kjs', maxInFlightRequests: 1, idempotent: true });
  t.teardown(() => disconnectQuietly(p2));
  await p2.connect();
  const fresh = await p2.transaction();
  await fresh.send({ topic, messages: [0, 1].flatMap((partition) => [0, 1, 2, 3, 4].map((i) => ({ partition, value: `after-${partition}-${i}` }))) });
  await fresh.commit();
  await p2.disconnect();

  const offs = await offsetsOf(b.bootstrap, topic, 2);
  t.same(
    offs.map((o) => [o.partition, o.high]),
    [
      [0, 16],
      [1, 16],
    ],
    'each partition: 3 + commit marker, 5 open + abort marker, 5 new + commit marker = 16',
  );
  assertNotStuck(t, offs, 'after the fencing abort and the new commit');
  const expected = [0, 1].map((p) => [...[0, 1, 2].map((i) => `before-${p}-${i}`), ...[0, 1, 2, 3, 4].map((i) => `after-${p}-${i}`)]);
  t.same(ckValues(await ckRead(b.bootstrap, topic, 2, 'read_committed'), 2), expected, 'librdkafka read_committed: before and after, nothing of the unfinished transaction');
  t.same(await kafkajsRead(b.bootstrap, topic, 2, 'restart-reader', false, 16), expected, 'kafkajs read_committed: the same');
  t.same(
    ckValues(await ckRead(b.bootstrap, topic, 2, 'read_uncommitted'), 2),
    [0, 1].map((p) => [...[0, 1, 2].map((i) => `before-${p}-${i}`), ...[0, 1, 2, 3, 4].map((i) => `open-${p}-${i}`), ...[0, 1, 2, 3, 4].map((i) => `after-${p}-${i}`)]),
    'read_uncommitted: the aborted records are still in the log',
  );
});

t.test('broker restart mid-transaction on a fixed port: the same librdkafka producer goes on, all or nothing', async (t) => {
  const d = tmpDataDir('sluice-txn-same-');
  const port = await freePort();
  let b: BrokerProcess | undefined = await spawnBroker({ dataDir: d.dir, port });
  t.equal(b.port, port, `the broker listens on the fixed port ${port}`);
  let w: Worker<Record<string, unknown>> | undefined;
  t.teardown(async () => {
    await w?.stop(5000);
    await stopBroker(b);
    d.remove();
  });
  const topic = 'restart-same';
  await createTopics(b.bootstrap, [{ topic, numPartitions: 2 }]);
  w = pyWorker('ck_txn_produce (same session)', 'ck_txn_produce.py', [b.bootstrap, topic, 'same-session', '--partitions', '2', '--count', '10', '--prefix', 'same', '--phases', '2', '--wait-signal', '--action', 'commit']);
  const worker = w;
  await until('phase 0 sent', () => worker.events.some((e) => e.ev === 'sent' && e.phase === 0), 30000, () => worker.describe());

  t.equal(await stopBroker(b), 0, 'SIGTERM with the transaction open: the broker exits 0');
  b = await spawnBroker({ dataDir: d.dir, port });
  t.equal(b.port, port, 'restarted on the same port');
  worker.proc.kill('SIGUSR1'); // produce phase 1 in the same transaction, then commit
  const outcome = await txnOutcome(worker, 60000);
  await worker.stop(5000);
  t.comment(`outcome of the same-session transaction: ${JSON.stringify(outcome)}`);

  const all = [0, 1].map((p) => [0, 1].flatMap((phase) => [0, 2, 4, 6, 8].map((i) => `same-${phase}-${i + p}`)));
  const rc = ckValues(await ckRead(b.bootstrap, topic, 2, 'read_committed'), 2);
  if (outcome.ev === 'committed') {
    t.same(rc, all, 'committed: read_committed sees all 20 records of both phases, in order');
  } else {
    t.same(rc, [[], []], `not committed (${JSON.stringify(outcome)}): read_committed sees none of its records`);
  }
  t.same(
    rc.flat().filter((v) => !all.flat().includes(v)),
    [],
    'no record outside the transaction',
  );
  // Kafka's behaviour: the coordinator and the producer state survive the restart, so the commit succeeds.
  t.equal(outcome.ev, 'committed', 'the producer reconnected and committed after the restart');

  // A fresh transaction with the same id: init aborts whatever is left open, then commits.
  const fresh = await python('ck_txn_produce.py', [b.bootstrap, topic, 'same-session', '--partitions', '2', '--count', '4', '--prefix', 'fresh', '--action', 'commit'], { timeoutMs: 60000 });
  t.match(fresh.stdout, /"ev": "committed"/, `a fresh transaction with the same transactional id commits: ${fresh.stdout.trim()}`);
  const rc2 = ckValues(await ckRead(b.bootstrap, topic, 2, 'read_committed'), 2);
  t.same(
    rc2.map((vs) => vs.filter((v) => v.startsWith('fresh-'))),
    [
      ['fresh-0-0', 'fresh-0-2'],
      ['fresh-0-1', 'fresh-0-3'],
    ],
    'the fresh transaction is visible',
  );
  assertNotStuck(t, await offsetsOf(b.bootstrap, topic, 2), 'after the fresh transaction');
});

t.test('kafkajs: a transaction past its timeout is aborted by the broker; the late commit is fenced', async (t) => {
  const topic = 'timeout-kjs';
  await createTopics(broker.bootstrap, [{ topic, numPartitions: 1 }]);
  const kafka = kafkaFor(broker.bootstrap, 'timeout-kjs');
  const stale = kafka.producer({ transactionalId: 'timeout-kjs', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 5000 });
  const plain = kafka.producer();
  t.teardown(async () => {
    await disconnectQuietly(stale);
    await disconnectQuietly(plain);
  });
  await stale.connect();
  await plain.connect();

  const t0 = Date.now();
  const txn = await stale.transaction();
  await txn.send({ topic, messages: [0, 1, 2, 3, 4].map((i) => ({ partition: 0, value: `stale-${i}` })) });
  await plain.send({ topic, messages: [0, 1, 2].map((i) => ({ partition: 0, value: `plain-${i}` })) });

  // A kafkajs read_committed consumer that is already waiting when the transaction is aborted.
  const waiting = kafka.consumer({ groupId: 'timeout-kjs-reader', maxWaitTimeInMs: 200, heartbeatInterval: 500 });
  t.teardown(() => waiting.disconnect().catch(() => {}));
  const seen: Array<[number, string]> = [];
  await waiting.connect();
  await waiting.subscribe({ topics: [topic], fromBeginning: true });
  await waiting.run({ eachMessage: async ({ message }) => void seen.push([Number(message.offset), message.value?.toString() ?? '<null>']) });

  const open = await offsetsOf(broker.bootstrap, topic, 1);
  const openChecked = Date.now() - t0;
  t.ok(openChecked < 4500, `the open state was checked within the timeout (${openChecked} ms)`);
  t.same(open.map((o) => [o.lso, o.high]), [[0, 8]], 'while the transaction is open: LSO 0 (its first record), high watermark 8');
  t.same(ckValues(await ckRead(broker.bootstrap, topic, 1, 'read_committed'), 1), [[]], 'while it is open: read_committed sees nothing, not even the later plain records');
  t.same(seen, [], 'the waiting kafkajs read_committed consumer has nothing yet');

  // The broker aborts it after 5 s (checked every 500 ms): read_committed readers go on.
  let last: Offsets[] = [];
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    last = await offsetsOf(broker.bootstrap, topic, 1);
    if (last[0]!.lso === last[0]!.high) break;
    await sleep(300);
  }
  const abortedAfter = Date.now() - t0;
  t.same(last.map((o) => [o.lso, o.high]), [[9, 9]], `aborted after ${abortedAfter} ms: an abort marker at offset 8, LSO = high watermark = 9`);
  t.ok(abortedAfter >= 5000, 'not before the transaction timeout');
  const rc = await ckRead(broker.bootstrap, topic, 1, 'read_committed');
  t.same(
    rc.map((r) => [r.offset, text(r)]),
    [
      [5, 'plain-0'],
      [6, 'plain-1'],
      [7, 'plain-2'],
    ],
    'read_committed: the plain records only',
  );
  await until('the waiting kafkajs consumer to get the plain records', () => seen.length >= 3, 15000, () => JSON.stringify(seen));
  await sleep(500);
  t.same(
    seen,
    [
      [5, 'plain-0'],
      [6, 'plain-1'],
      [7, 'plain-2'],
    ],
    'the waiting kafkajs read_committed consumer went on past the aborted records',
  );
  await waiting.disconnect();

  const err = await txn.commit().then(
    () => null,
    (e: Error & { type?: string; code?: number }) => e,
  );
  t.ok(err, 'the stale producer cannot commit');
  t.equal(err?.type, 'INVALID_PRODUCER_EPOCH', `EndTxn v1 answers INVALID_PRODUCER_EPOCH (PRODUCER_FENCED for old versions): ${err?.name}: ${err?.message}`);
  const after = await offsetsOf(broker.bootstrap, topic, 1);
  t.same(after.map((o) => [o.lso, o.high]), [[9, 9]], 'the refused commit wrote nothing');
  t.same(ckValues(await ckRead(broker.bootstrap, topic, 1, 'read_committed'), 1), [['plain-0', 'plain-1', 'plain-2']], 'still no stale record visible');
});

t.test('librdkafka: a transaction past its timeout is aborted by the broker; the late commit is fenced', async (t) => {
  const topic = 'timeout-ck';
  await createTopics(broker.bootstrap, [{ topic, numPartitions: 2 }]);
  const t0 = Date.now();
  const res = await python(
    'ck_txn_produce.py',
    [broker.bootstrap, topic, 'timeout-ck', '--partitions', '2', '--count', '6', '--prefix', 'stale', '--txn-timeout-ms', '3000', '--sleep-ms', '5500', '--action', 'commit'],
    { timeoutMs: 60000 },
  );
  const events = res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const outcome = events.find((e) => e.ev === 'committed' || e.ev === 'error');
  t.comment(`librdkafka outcome after ${Date.now() - t0} ms: ${JSON.stringify(outcome)}`);
  t.equal(outcome?.ev, 'error', 'commit_transaction after the timeout fails');
  t.equal(outcome?.op, 'commit', 'the failing call is commit_transaction');
  t.ok(['_FENCED', 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes(String(outcome?.name)), `with a fencing error (${String(outcome?.name)}: ${String(outcome?.error)})`);
  const offs = await offsetsOf(broker.bootstrap, topic, 2);
  t.same(
    offs.map((o) => [o.partition, o.lso, o.high]),
    [
      [0, 4, 4],
      [1, 4, 4],
    ],
    '3 records and an abort marker per partition; LSO not stuck',
  );
  t.same(ckValues(await ckRead(broker.bootstrap, topic, 2, 'read_committed'), 2), [[], []], 'read_committed: nothing of the aborted transaction');
});

t.test('transactions v2 across a broker restart: the bumped epoch, a retried EndTxn v5 and the markers survive', async (t) => {
  const d = tmpDataDir('sluice-txn-v2-restart-');
  let b: BrokerProcess | undefined = await spawnBroker({ dataDir: d.dir });
  t.teardown(async () => {
    await stopBroker(b);
    d.remove();
  });
  const topic = 'v2-restart';
  await createTopics(b.bootstrap, [{ topic, numPartitions: 1 }]);
  const id = 'v2-restart-tx';
  /** A request retried as a client retries the coordinator's and the verification's retriable answers. */
  const retried = async <T>(send: () => Promise<T>, code: (r: T) => number): Promise<T> => {
    for (let i = 0; ; i++) {
      const r = await send();
      if (![ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.CONCURRENT_TRANSACTIONS].includes(code(r)) || i > 100) return r;
      await sleep(100);
    }
  };
  let raw = await RawClient.connect(b.port);
  t.teardown(() => raw.close());
  const features = await raw.request(ApiVersions, 4, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  t.same(features.finalizedFeatures.find((f) => f.name === 'transaction.version'), { name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 }, 'a new data directory finalizes transaction.version=2');
  const init = await retried(
    () => raw.request(InitProducerId, 5, { transactionalId: id, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }),
    (r) => r.errorCode,
  );
  const pid = init.producerId;
  const e = init.producerEpoch;
  const produce = (epoch: number, seq: number, value: string) =>
    retried(
      () =>
        raw.request(Produce, 12, {
          transactionalId: id,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from(value) }], { producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: true }) }] }],
        }),
      (r) => r.responses[0]!.partitionResponses[0]!.errorCode,
    ).then((r) => r.responses[0]!.partitionResponses[0]!.errorCode);
  const endTxn = async (epoch: number) => {
    const r = await raw.request(EndTxn, 5, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed: true });
    return [r.errorCode, r.producerEpoch - e];
  };
  t.equal(await produce(e, 0, 'first'), ErrorCode.NONE, 'Produce v12 adds the partition');
  t.same(await endTxn(e), [ErrorCode.NONE, 1], 'EndTxn v5 commits and bumps the epoch');
  t.equal(await produce(e + 1, 0, 'second'), ErrorCode.NONE, 'the next transaction at the bumped epoch');

  raw.close();
  t.equal(await stopBroker(b), 0, 'SIGTERM with a v2 transaction open');
  b = await spawnBroker({ dataDir: d.dir });
  raw = await RawClient.connect(b.port);

  t.same(await retried(() => endTxn(e + 1), (r) => r[0]!), [ErrorCode.NONE, 2], 'after the restart the open transaction commits with another bump');
  t.same(await endTxn(e + 1), [ErrorCode.NONE, 2], 'its retry is recognised (the transaction version was recorded)');
  t.same(await endTxn(e), [ErrorCode.PRODUCER_FENCED, -e - 1], 'an older epoch is fenced');
  t.equal(await produce(e + 1, 1, 'late'), ErrorCode.INVALID_PRODUCER_EPOCH, 'late data of the ended transaction is refused');
  const fetched = await raw.request(Fetch, 11, fetchRequest(topic, 0, 0n, { isolationLevel: 1 }));
  const part = fetched.responses[0]!.partitions[0]!;
  t.same(
    splitBatches(part.records!).map((x) => [(x.readInt16BE(BatchField.attributes) & 0x20) !== 0 ? 'marker' : 'data', x.readInt16BE(BatchField.producerEpoch) - e]),
    [
      ['data', 0],
      ['marker', 1],
      ['data', 1],
      ['marker', 2],
    ],
    'stored: each marker one epoch above its data; read_committed reaches the end',
  );
  t.equal(part.lastStableOffset, part.highWatermark);
});
