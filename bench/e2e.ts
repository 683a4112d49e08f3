/**
 * End-to-end numbers from real processes, side by side in one interleaved run: Apache Kafka 4.1.1
 * (the reference), Sluice with its native addon, Sluice in TypeScript only (SLUICE_NATIVE=off),
 * and the two in-memory fakes that test suites use instead of a broker, franz-go's kfake and
 * librdkafka's mock cluster. Every figure is also given as a ratio to Kafka's.
 *
 *   npm run build && node dist/bench/e2e.js [flags]        (bench/setup.sh builds the fakes once;
 *                                                           e2e.js runs it when they are missing)
 *
 *   --peers kafka,native,typescript,kfake,rdkafka-mock   which brokers (default all; ts = typescript,
 *                       mock = rdkafka-mock); the ratio column needs kafka
 *   --records-100 N     100 B records per kcat run (default 1,000,000)
 *   --records-1k N      1 KiB records per kcat run (default 250,000)
 *   --partitions 1,6    partition counts of the kcat runs (default 1,6)
 *   --acks all          produce acks for the kcat runs (default all; 1 allowed)
 *   --rounds N          rounds of the kcat and perf-tool runs; each figure is the median (default 3)
 *   --perf-partitions N partitions for ProducerPerformance/ConsumerPerformance (default 6; 0 skips them)
 *   --rates 1000,5000,20000  produce latency runs, requests/s (default; empty string skips)
 *   --latency-duration S, --latency-warmup S   per latency run (default 5 and 2)
 *   --start-runs N      starts per peer for start-to-ready (default 3); idle RSS is read 2 s after the last
 *   --page-cache-mib N  the VM's new-page-cache write rate, measured once first (default 1024; 0 skips)
 *   --quick             smoke run: 20,000 and 5,000 records, 1 round, 1 start, one latency rate of 1 s
 *                       (flags above still win)
 *
 * Duration with the defaults, estimated from --quick runs and the README's single-peer figures on
 * the project's 2-core VM: about 12 minutes (Kafka's starts ~20 s, the kcat matrix ~5 min, the
 * perf tools ~3 min, latency 3 rates x 5 peers x 7 s plus overload time ~2.5 min).
 *
 * Method:
 * - All peers run at once for the whole run (idle while another is measured), and every case goes
 *   through them in turn, in an order that rotates by round (round r starts with peer r mod n), so
 *   slow drift of a shared machine spreads over every column instead of landing on one.
 *   An idle peer is not quite idle (Kafka's JVM and KRaft keep working in the background): the
 *   CPU each uses while the others are measured is read too and shown as a % of one core.
 * - Throughput with kcat (librdkafka): produce of `count` records into a fresh topic created with
 *   CreateTopics before the clock starts (acks=all, linger.ms=5, batch.num.messages=10000,
 *   sticky.partitioning.linger.ms=0 so keyless records spread over all partitions; end offsets
 *   are checked after every run), then `kcat -C -o beginning -c N` of that topic with
 *   queued.min.messages=2000000 and queued.max.messages.kbytes=2097151 (so librdkafka's prefetch
 *   queue is not what limits), printing only each record's offset; the lines are counted after
 *   the clock stops. Time is kcat's whole run. Topics are deleted after each case.
 * - Throughput not bound by kcat: Kafka's own ProducerPerformance and ConsumerPerformance (Java
 *   client, from the resolved kafka-tools jar) into a fresh --perf-partitions topic: the producer
 *   with acks=all, linger.ms=5, batch.size=131072; the consumer in a classic group from the
 *   beginning. The figures are the tools' own (ProducerPerformance: first send to close;
 *   ConsumerPerformance: fetch.nMsg.sec, which leaves out the group join); JVM start is not in them.
 * - The librdkafka mock keeps only the last 5 MiB (or 100,000 batches) of each partition and drops
 *   older ones (rdkafka_mock.c, not settable), so nothing can be read back from the beginning:
 *   its consume cells are "n/a". kfake keeps everything in memory until the topic is deleted.
 * - Broker CPU: user + system seconds of the broker's process (/proc/<pid>/stat) across each run,
 *   per GB of record values moved. For the fakes that process is the small host program of
 *   bench/fakes/, which does nothing else.
 * - Produce latency: bench/produce-latency.ts (the client of bench/latency.ts): one connection,
 *   single-record 100 B batches at a fixed rate, acks=all, latency timed from each request's due
 *   time, so coordinated omission is counted; 1-partition topic; p50/p99/p99.9. Each peer is
 *   sent the highest Produce version both it and our codec have (capped at 12).
 * - Start to ready: from spawning the broker's process to its first Metadata answer naming a
 *   broker, for every peer alike (Kafka: the kafka.Kafka process; its `kafka-storage format` run
 *   before that is shown apart). Idle RSS 2 s after the last start; loaded RSS is VmRSS of the
 *   long-running peers after the throughput runs and their peak (VmHWM) over the whole run.
 * - Apache Kafka: a KRaft combined node (compat-tests/reference/kafka.ts), 1 GiB heap as
 *   kafka-server-start.sh gives it, group.initial.rebalance.delay.ms=0, everything else default
 *   (no fsync per write, like Sluice's default). Kafka, Sluice: log on disk under /tmp.
 * - The VM's page cache: see the note printed with the tables. On the project's VM memory freed
 *   goes back to the host, and the next first write to a page is slow; the bench measures that
 *   rate once (--page-cache-mib) since it weighs on every peer that writes a log.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../compat-tests/harness.js';
import { KAFKA_VERSION, javaCommand, resolveKafka } from '../compat-tests/reference/kafka.js';
import { KCAT_PRODUCE_CONF, endOffsets, fmtInt, hasFlag, listFlag, machineLine, median, numFlag, rotated, stopClientsOnSignal, timed, writeRecordsFile } from './common.js';
import { IN_MEMORY, KAFKA_HEAP_MB, PEER_LABELS, PEER_NAMES, cpuSeconds, ensureFakes, fakeVersions, memoryMiB, startPeer, type Peer, type PeerName } from './peers.js';
import { fmtMs, pct, produceVersionFor, runAt, type RunResult } from './produce-latency.js';

requireTool('kcat');
const quick = hasFlag('quick');
const aliases: Record<string, PeerName> = { ts: 'typescript', mock: 'rdkafka-mock', 'apache-kafka': 'kafka' };
const peerNames = listFlag('peers', [...PEER_NAMES]).map((s) => aliases[s] ?? (s as PeerName));
for (const p of peerNames) if (!PEER_NAMES.includes(p)) throw new Error(`--peers: unknown peer ${p} (known: ${PEER_NAMES.join(', ')})`);
const peersWanted = PEER_NAMES.filter((p) => peerNames.includes(p));
const rounds = numFlag('rounds', quick ? 1 : 3);
const startRuns = Math.max(1, numFlag('start-runs', quick ? 1 : 3));
const records100 = numFlag('records-100', quick ? 20_000 : 1_000_000);
const records1k = numFlag('records-1k', quick ? 5_000 : 250_000);
const partitionCounts = listFlag('partitions', ['1', '6']).map(Number);
const acksList = listFlag('acks', ['all']);
const perfPartitions = numFlag('perf-partitions', 6);
const rates = listFlag('rates', quick ? ['1000'] : ['1000', '5000', '20000']).map(Number);
const latencyDurationS = numFlag('latency-duration', quick ? 1 : 5);
const latencyWarmupS = numFlag('latency-warmup', quick ? 0.5 : 2);
const pageCacheMiB = numFlag('page-cache-mib', quick ? 0 : 1024);
for (const p of partitionCounts) if (!Number.isInteger(p) || p < 1) throw new Error(`--partitions: bad count ${p}`);
for (const a of acksList) if (a !== '1' && a !== 'all') throw new Error(`--acks takes 1 and/or all, got ${a}`);
for (const r of rates) if (!(r > 0)) throw new Error(`--rates: bad rate ${r}`);
if (!Number.isInteger(perfPartitions)) throw new Error('--perf-partitions: a whole number');
if (rounds < 1 || peersWanted.length === 0) throw new Error('nothing to run');

ensureFakes(peersWanted);
const kafkaClasspath = peersWanted.includes('kafka') || perfPartitions > 0 ? resolveKafka() : '';

// ---------------------------------------------------------------------------------------------
// Processes and files.

stopClientsOnSignal();

/** Newlines in a file, counted after the timed run. */
function countLines(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
    for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
  }
  closeSync(fd);
  return lines;
}

/** MB/s of writing `mib` MiB into a new file (the VM's rate for new page cache, see the header). */
function pageCacheRate(mib: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pagecache-'));
  try {
    const chunk = Buffer.alloc(8 << 20, 0x61);
    const fd = openSync(join(dir, 'scratch.bin'), 'w');
    const t0 = performance.now();
    for (let written = 0; written < mib * 1048576; written += chunk.length) writeSync(fd, chunk);
    const rate = (mib * 1.048576) / ((performance.now() - t0) / 1000);
    closeSync(fd);
    return rate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Results: one row per measure, one list of samples per peer.

interface Sample {
  /** The figure itself: records/s, ms, MiB... */
  value: number;
  /** Broker CPU seconds per GB of record values in this run (throughput rows only). */
  cpuPerGB?: number;
}

type Better = 'higher' | 'lower';

interface Row {
  section: string;
  label: string;
  better: Better;
  format: (v: number) => string;
  samples: Partial<Record<PeerName, Sample[]>>;
  /** Why a peer has no figure here, when that is by design. */
  na: Partial<Record<PeerName, string>>;
}

const rows = new Map<string, Row>();
function rowFor(section: string, label: string, better: Better, format: (v: number) => string): Row {
  const key = `${section}\u0000${label}`;
  let r = rows.get(key);
  if (!r) {
    r = { section, label, better, format, samples: {}, na: {} };
    rows.set(key, r);
  }
  return r;
}
function record(row: Row, peer: PeerName, s: Sample): void {
  (row.samples[peer] ??= []).push(s);
}

const sizeLabel = (size: number): string => (size === 1024 ? '1 KiB' : `${size} B`);
const fmtRate = (v: number): string => `${fmtInt(v)}/s`;
const fmtMiB = (v: number): string => `${v.toFixed(0)} MiB`;
const fmtMsCell = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);

/** Per partition count above 1: the smallest and largest share of a run's records one partition got. */
const spreads = new Map<number, { min: number; max: number; runs: number }>();

/**
 * Checks that a topic holds exactly `count` records; with `spread`, also that each partition got
 * some, and records the spread (kcat runs; the Java producer's sticky partitioner fills one
 * partition a batch at a time, so a short run may leave one empty).
 */
async function checkTopic(peer: Peer, topic: string, partitions: number, count: number, spread: boolean): Promise<void> {
  const ends = await endOffsets(peer.port, topic, partitions, peer.name === 'rdkafka-mock' ? 1 : 5);
  const total = ends.reduce((s, e) => s + Number(e), 0);
  if (total !== count) throw new Error(`${topic} on ${peer.name}: ${total} records in the log, expected ${count} (per partition: ${ends.join(', ')})`);
  if (spread && partitions > 1) {
    if (ends.some((e) => e === 0n)) throw new Error(`${topic} on ${peer.name}: a partition got no records (per partition: ${ends.join(', ')})`);
    const s = spreads.get(partitions) ?? { min: 1, max: 0, runs: 0 };
    for (const e of ends) {
      s.min = Math.min(s.min, Number(e) / count);
      s.max = Math.max(s.max, Number(e) / count);
    }
    s.runs++;
    spreads.set(partitions, s);
  }
}

const MOCK_NA = 'keeps only the last 5 MiB per partition';

// ---------------------------------------------------------------------------------------------
// kcat: produce then consume, one case on one peer.

const CONSUME_CONF = ['-X', 'queued.min.messages=2000000', '-X', 'queued.max.messages.kbytes=2097151'];

async function kcatCase(peer: Peer, dir: string, file: string, size: number, count: number, partitions: number, round: number): Promise<void> {
  const topics: string[] = [];
  const gb = (count * size) / 1e9;
  let ok = false;
  try {
    for (const acks of acksList) {
      const topic = `bench-kcat-${size}-p${partitions}-acks${acks}-r${round}`;
      await peer.createTopic(topic, partitions);
      topics.push(topic);
      const cpu0 = cpuSeconds(peer.pid);
      const p = await timed('kcat', ['-b', peer.bootstrap, '-P', '-t', topic, '-l', file, ...KCAT_PRODUCE_CONF, '-X', `acks=${acks}`]);
      const cpu1 = cpuSeconds(peer.pid);
      if (p.code !== 0) throw new Error(`kcat produce to ${topic} on ${peer.name} failed: ${p.stderr}`);
      await checkTopic(peer, topic, partitions, count, true);
      const row = rowFor('kcat (librdkafka) throughput, records/s', `produce ${sizeLabel(size)}, ${partitions} p, acks=${acks}`, 'higher', fmtRate);
      record(row, peer.name, { value: count / (p.ms / 1000), cpuPerGB: (cpu1 - cpu0) / gb });
    }
    const row = rowFor('kcat (librdkafka) throughput, records/s', `consume ${sizeLabel(size)}, ${partitions} p`, 'higher', fmtRate);
    if (!peer.keepsEverything) {
      row.na[peer.name] = MOCK_NA;
    } else {
      const topic = topics.at(-1)!;
      const consumed = join(dir, 'consumed.txt');
      const cpu0 = cpuSeconds(peer.pid);
      const c = await timed('kcat', ['-b', peer.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-q', '-c', String(count), '-f', '%o\n', ...CONSUME_CONF], { stdoutFile: consumed });
      const cpu1 = cpuSeconds(peer.pid);
      if (c.code !== 0) throw new Error(`kcat consume of ${topic} on ${peer.name} failed: ${c.stderr}`);
      const lines = countLines(consumed);
      rmSync(consumed, { force: true });
      if (lines !== count) throw new Error(`consumed ${lines} records of ${topic} on ${peer.name}, expected ${count}`);
      record(row, peer.name, { value: count / (c.ms / 1000), cpuPerGB: (cpu1 - cpu0) / gb });
    }
    ok = true;
  } finally {
    // After a failure the broker may be gone; its error is the one worth seeing, not this one's.
    for (const t of topics) await peer.deleteTopic(t).catch((err: unknown) => {
      if (ok) throw err;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka's ProducerPerformance and ConsumerPerformance.

const PRODUCER_PERF = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/;

function javaTool(cls: string, args: string[]): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return timed(javaCommand(), ['-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', '-cp', kafkaClasspath, cls, ...args], { capture: true });
}

async function perfCase(peer: Peer, size: number, count: number, round: number): Promise<void> {
  const topic = `bench-perf-${size}-r${round}`;
  const gb = (count * size) / 1e9;
  const section = `Kafka's ProducerPerformance / ConsumerPerformance (Java client), ${perfPartitions} partitions, records/s`;
  const producerRow = rowFor(section, `ProducerPerformance ${sizeLabel(size)}, acks=all`, 'higher', fmtRate);
  const consumerRow = rowFor(section, `ConsumerPerformance ${sizeLabel(size)} (fetch rate, group join excluded)`, 'higher', fmtRate);
  if (peer.name === 'rdkafka-mock') {
    // Seen with librdkafka 2.0.2: the Java 4.1 producer never finds the topic in the mock's
    // Metadata answers (it offers Metadata v0-v2 only) and times out.
    producerRow.na[peer.name] = consumerRow.na[peer.name] = 'the Java client never sees the topic in its Metadata (v0-2)';
    return;
  }
  await peer.createTopic(topic, perfPartitions);
  let ok = false;
  try {
    const cpu0 = cpuSeconds(peer.pid);
    const p = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', topic, '--num-records', String(count), '--record-size', String(size), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${peer.bootstrap}`, 'acks=all', 'linger.ms=5', 'batch.size=131072', 'max.block.ms=30000', 'client.id=bench-perf',
    ]);
    const cpu1 = cpuSeconds(peer.pid);
    const m = PRODUCER_PERF.exec(p.stdout);
    if (p.code !== 0 || !m) throw new Error(`ProducerPerformance on ${peer.name} failed (exit ${p.code}):\n${p.stdout.slice(-2000)}\n${p.stderr.slice(-2000)}`);
    if (Number(m[1]) !== count) throw new Error(`ProducerPerformance on ${peer.name} sent ${m[1]} records, expected ${count}`);
    await checkTopic(peer, topic, perfPartitions, count, false);
    record(producerRow, peer.name, { value: Number(m[2]), cpuPerGB: (cpu1 - cpu0) / gb });

    const row = consumerRow;
    {
      const c0 = cpuSeconds(peer.pid);
      const c = await javaTool('org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server', peer.bootstrap, '--topic', topic, '--messages', String(count), '--group', `bench-perf-${size}-r${round}-${peer.name}`, '--timeout', '30000', '--hide-header',
      ]);
      const c1 = cpuSeconds(peer.pid);
      // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
      const line = c.stdout.split('\n').map((l) => l.split(', ')).find((f) => f.length === 10 && /^\d+$/.test(f[4]!.trim()));
      if (c.code !== 0 || !line) throw new Error(`ConsumerPerformance on ${peer.name} failed (exit ${c.code}):\n${c.stdout.slice(-2000)}\n${c.stderr.slice(-2000)}`);
      if (Number(line[4]) !== count) throw new Error(`ConsumerPerformance on ${peer.name} consumed ${line[4]} records, expected ${count}`);
      record(row, peer.name, { value: Number(line[9]), cpuPerGB: (c1 - c0) / gb });
    }
    ok = true;
  } finally {
    await peer.deleteTopic(topic).catch((err: unknown) => {
      if (ok) throw err;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Produce latency at fixed rates.

const latencyProblems: string[] = [];
const latencyVersions: Partial<Record<PeerName, number>> = {};

async function latencyCase(peer: Peer, rate: number): Promise<void> {
  const topic = `bench-latency-${rate}`;
  await peer.createTopic(topic, 1);
  try {
    const version = (latencyVersions[peer.name] ??= await produceVersionFor(peer.port));
    const r: RunResult = await runAt(peer.port, topic, version, rate, -1, {
      warmupS: latencyWarmupS,
      durationS: latencyDurationS,
      batchRecords: 1,
      valueBytes: 100,
      maxInFlight: 64,
      pacing: 'spin',
    });
    for (const p of r.problems) latencyProblems.push(`${PEER_LABELS[peer.name]} at ${fmtInt(rate)}/s: ${p}`);
    const lb = r.unanswered > 0 ? '>= ' : '';
    const section = `produce latency, acks=all, 1 x 100 B per request, one connection, coordinated omission counted (${latencyWarmupS} s warm-up, ${latencyDurationS} s measured)`;
    const f = (v: number): string => `${lb}${fmtMs(v)}`;
    record(rowFor(section, `${fmtInt(rate)}/s: p50`, 'lower', f), peer.name, { value: pct(r.fromDue, 0.5) });
    record(rowFor(section, `${fmtInt(rate)}/s: p99`, 'lower', f), peer.name, { value: pct(r.fromDue, 0.99) });
    record(rowFor(section, `${fmtInt(rate)}/s: p99.9`, 'lower', f), peer.name, { value: pct(r.fromDue, 0.999) });
    record(rowFor(section, `${fmtInt(rate)}/s: achieved req/s`, 'higher', (v) => `${fmtInt(v)}${r.unanswered > 0 ? ' (overloaded)' : ''}`), peer.name, { value: r.achieved });
    process.stderr.write(`latency ${peer.name} ${fmtInt(rate)}/s: p99 ${fmtMs(pct(r.fromDue, 0.99))}${r.problems.length ? `; ${r.problems.join('; ')}` : ''}\n`);
  } finally {
    await peer.deleteTopic(topic);
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

const t0 = performance.now();
/** One line on stderr per case, so a long run shows where it is. */
const progress = (what: string): void => void process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${what}\n`);
const pageCacheMBps = pageCacheMiB > 0 ? pageCacheRate(pageCacheMiB) : NaN;
const startSection = 'start and memory';
const prepareMs: Partial<Record<PeerName, number[]>> = {};

for (let i = 0; i < startRuns; i++) {
  for (const name of rotated(peersWanted, i)) {
    const { peer, readyMs, prepareMs: prep } = await startPeer(name);
    try {
      record(rowFor(startSection, `start to ready (spawn to first Metadata answer), median of ${startRuns}`, 'lower', fmtMsCell), name, { value: readyMs });
      (prepareMs[name] ??= []).push(prep);
      if (i === startRuns - 1) {
        await new Promise((r) => setTimeout(r, 2000));
        record(rowFor(startSection, 'idle RSS, 2 s after ready', 'lower', fmtMiB), name, { value: memoryMiB(peer.pid).rss });
      }
    } finally {
      await peer.close();
    }
  }
}

/**
 * CPU the peers that are not measured use meanwhile (Kafka's JVM and KRaft keep some background
 * work going): taken from the machine's two cores while another peer is measured, so it is shown.
 */
const background = new Map<PeerName, { cpuS: number; wallS: number }>();
async function measured(peer: Peer, run: () => Promise<void>): Promise<void> {
  const others = peers.filter((o) => o !== peer);
  const before = others.map((o) => cpuSeconds(o.pid));
  const t = performance.now();
  await run();
  const wallS = (performance.now() - t) / 1000;
  others.forEach((o, i) => {
    const bg = background.get(o.name) ?? { cpuS: 0, wallS: 0 };
    bg.cpuS += cpuSeconds(o.pid) - before[i]!;
    bg.wallS += wallS;
    background.set(o.name, bg);
  });
}

const filesDir = mkdtempSync(join(tmpdir(), 'sluice-bench-files-'));
const peers: Peer[] = [];
try {
  for (const name of peersWanted) peers.push((await startPeer(name)).peer);
  const sizes: Array<[number, number]> = [
    [100, records100],
    [1024, records1k],
  ].filter(([, n]) => n! > 0) as Array<[number, number]>;
  const files = new Map<number, string>();
  for (const [size, count] of sizes) {
    const f = join(filesDir, `records-${size}.txt`);
    writeRecordsFile(f, count, size);
    files.set(size, f);
  }
  for (let round = 0; round < rounds; round++) {
    const order = rotated(peers, round);
    for (const [size, count] of sizes) {
      for (const partitions of partitionCounts) {
        for (const p of order) {
          progress(`kcat ${sizeLabel(size)} ${partitions} p on ${p.name}`);
          await measured(p, () => kcatCase(p, filesDir, files.get(size)!, size, count, partitions, round));
        }
      }
    }
    if (perfPartitions > 0) {
      for (const [size, count] of sizes) {
        for (const p of order) {
          progress(`perf tools ${sizeLabel(size)} on ${p.name}`);
          await measured(p, () => perfCase(p, size, count, round));
        }
      }
    }
    process.stderr.write(`round ${round + 1} of ${rounds} done at ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  for (const p of peers) record(rowFor(startSection, 'RSS after the throughput runs (topics deleted)', 'lower', fmtMiB), p.name, { value: memoryMiB(p.pid).rss });
  for (let i = 0; i < rates.length; i++) for (const p of rotated(peers, i)) await measured(p, () => latencyCase(p, rates[i]!));
  for (const p of peers) {
    const bg = background.get(p.name);
    if (bg && bg.wallS > 0) record(rowFor(startSection, "CPU while idle, during the other peers' runs (% of one core)", 'lower', (v) => `${v.toFixed(1)}%`), p.name, { value: (100 * bg.cpuS) / bg.wallS });
  }
  for (const p of peers) record(rowFor(startSection, 'peak RSS over the whole run (VmHWM)', 'lower', fmtMiB), p.name, { value: memoryMiB(p.pid).peak });
} finally {
  for (const p of peers) await p.close();
  rmSync(filesDir, { recursive: true, force: true });
}
const elapsedS = (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------------
// Output.

const has = (n: PeerName): boolean => peersWanted.includes(n);
const versions = fakeVersions();
const peerNote: Record<PeerName, string> = {
  kafka: `Apache Kafka ${KAFKA_VERSION} (KRaft combined node, ${KAFKA_HEAP_MB} MiB heap, log on disk)`,
  native: 'Sluice native (SLUICE_NATIVE=auto, addon loaded, checked; log on disk)',
  typescript: 'Sluice TypeScript (SLUICE_NATIVE=off; log on disk)',
  kfake: `kfake ${versions.kfake} (franz-go ${versions.franzGo}; in memory)`,
  'rdkafka-mock': `librdkafka ${versions.librdkafka} mock cluster (in memory, last 5 MiB per partition only)`,
};

console.log(`command: node dist/bench/e2e.js${process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''}   (${(elapsedS / 60).toFixed(1)} min)`);
console.log(machineLine(true));
console.log(`peers: ${peersWanted.map((p) => peerNote[p]).join('; ')}`);
console.log(`in memory: ${peersWanted.filter((p) => IN_MEMORY[p]).map((p) => PEER_LABELS[p]).join(', ') || 'none'}; on disk: ${peersWanted.filter((p) => !IN_MEMORY[p]).map((p) => PEER_LABELS[p]).join(', ') || 'none'}`);
console.log(`records: ${fmtInt(records100)} x 100 B, ${fmtInt(records1k)} x 1 KiB per run; rounds ${rounds} (order rotating by round); every figure is the median of the rounds${has('kafka') ? "; (x) = ratio to Apache Kafka's figure" : ''}`);
if (quick) console.log('--quick: a smoke run; with so few records client start and fetch waits dominate, so these figures compare nothing');
if (!Number.isNaN(pageCacheMBps)) console.log(`page cache: ${pageCacheMiB} MiB written into a new file at ${pageCacheMBps.toFixed(0)} MB/s before the runs (new page cache after a pause is slow on this VM; see bench/e2e.ts)`);
const kafkaPrep = prepareMs.kafka;
if (kafkaPrep && kafkaPrep.length > 0) console.log(`Apache Kafka's kafka-storage format (a JVM run before each start, not in its start figure): median ${median(kafkaPrep).toFixed(0)} ms`);

const medianOf = (xs: number[]): number => median(xs);
/** Two decimals, or two significant digits below 0.1 (kfake starts in a thousandth of Kafka's time). */
const fmtRatio = (r: number): string => (r === 0 || r >= 0.1 ? r.toFixed(2) : r.toPrecision(2));
function cellFor(row: Row, name: PeerName, pick: (s: Sample) => number | undefined, format: (v: number) => string): string {
  if (row.na[name]) return `n/a (${row.na[name]})`;
  const xs = (row.samples[name] ?? []).map(pick).filter((v): v is number => v !== undefined && !Number.isNaN(v));
  if (xs.length === 0) return '-';
  const v = medianOf(xs);
  const kx = (row.samples.kafka ?? []).map(pick).filter((x): x is number => x !== undefined && !Number.isNaN(x));
  let ratio = '';
  if (has('kafka') && name !== 'kafka' && kx.length > 0 && medianOf(kx) > 0) ratio = ` (${fmtRatio(v / medianOf(kx))}x)`;
  return `${format(v)}${ratio}`;
}

const header = `| measure | ${peersWanted.map((p) => PEER_LABELS[p]).join(' | ')} |`;
const rule = `| --- |${peersWanted.map(() => ' --- |').join('')}`;
const sections = [...new Set([...rows.values()].map((r) => r.section))];
for (const section of sections) {
  const sectionRows = [...rows.values()].filter((r) => r.section === section);
  console.log('');
  const agree = sectionRows.every((r) => r.better === sectionRows[0]!.better);
  console.log(`**${section}**${agree ? ` (${sectionRows[0]!.better} is better)` : ''}`);
  console.log('');
  console.log(header);
  console.log(rule);
  for (const row of sectionRows) console.log(`| ${row.label}${agree ? '' : ` (${row.better} is better)`} | ${peersWanted.map((p) => cellFor(row, p, (s) => s.value, row.format)).join(' | ')} |`);
  if (sectionRows.some((r) => Object.values(r.samples).some((ss) => ss!.some((s) => s.cpuPerGB !== undefined)))) {
    console.log('');
    console.log(`broker CPU seconds (user + system) per GB of record values, same runs (lower is better):`);
    console.log('');
    console.log(header);
    console.log(rule);
    for (const row of sectionRows) console.log(`| ${row.label} | ${peersWanted.map((p) => cellFor(row, p, (s) => s.cpuPerGB, (v) => v.toFixed(1))).join(' | ')} |`);
  }
}
for (const [partitions, s] of spreads) {
  console.log('');
  console.log(`${partitions}-partition produce runs: each partition got ${(s.min * 100).toFixed(1)}-${(s.max * 100).toFixed(1)}% of a run's records over ${s.runs} runs (an even spread is ${(100 / partitions).toFixed(1)}%)`);
}
if (Object.keys(latencyVersions).length > 0) {
  console.log('');
  console.log(`latency runs used Produce ${Object.entries(latencyVersions).map(([n, v]) => `v${v} with ${PEER_LABELS[n as PeerName]}`).join(', ')}`);
}
if (latencyProblems.length > 0) {
  console.log('');
  console.log(`LATENCY CHECKS FAILED: ${latencyProblems.join('; ')}`);
  process.exitCode = 1;
}
