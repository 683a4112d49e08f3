/**
 * End-to-end numbers from real processes, native addon and TypeScript side by side: broker
 * start-to-ready time, idle RSS, and kcat produce/consume throughput for 100 B and 1 KiB records,
 * on 1 and 6 partitions, producing with acks=1 and acks=all.
 *
 *   npm run build && node dist/bench/e2e.js [flags]
 *
 *   --records-100 N     100 B records per run (default 2,000,000)
 *   --records-1k N      1 KiB records per run (default 500,000)
 *   --partitions 1,6    partition counts (default 1,6)
 *   --acks 1,all        produce acks (default 1,all; consume has no acks)
 *   --rounds N          runs per case; each row is the median (default 3)
 *   --start-runs N      spawns per implementation for start-to-ready (default 5)
 *   --impls native,ts   which implementations (default both)
 *   --quick             smoke run: 20,000 and 5,000 records, 1 round, 1 start (flags above still win)
 *
 * With the defaults this runs 3 rounds x (8 produce + 4 consume runs) x 2 implementations: 72
 * kcat runs moving about 26 GB of record values. From the single-partition figures in the README
 * that takes about 2 minutes on the project's 2-core machine (more if 6 partitions turn out much
 * slower), well within 10 minutes, so the default stays at 3 rounds.
 *
 * Method:
 * - Two brokers run at once, one with SLUICE_NATIVE=auto (checked to have loaded the addon) and
 *   one with SLUICE_NATIVE=off. Cases alternate between them, and which goes first alternates by
 *   round, so drift on a shared machine does not land on one column only. The idle broker does
 *   nothing measurable.
 * - Each row is the median (by time) of `--rounds` runs into fresh topics, with the range of
 *   records/s, because single runs on a shared 2-core machine vary by up to 2x. Topics are created
 *   explicitly (CreateTopics) before the clock starts and deleted after each case to bound disk use.
 * - Produce time is kcat's whole run (connect, produce, flush) with its defaults plus linger.ms=5
 *   and batch.num.messages=10000; acks is set explicitly (librdkafka's default is acks=all; on one
 *   node Sluice answers acks=1 and acks=all alike, after the local append, so those rows differ
 *   by noise only). kcat gets no -p: librdkafka's partitioner places the keyless records.
 *   librdkafka 2.x (kcat 1.7.1 here) is "sticky" for keyless records: it keeps one random
 *   partition for sticky.partitioning.linger.ms (10 ms by default) before picking another, so the
 *   broker would see one partition at a time and an uneven spread (200,000 records into 6
 *   partitions: 10-22% each). We set sticky.partitioning.linger.ms=0, which sends every keyless
 *   record to a random partition, so each produce request carries batches for all six (same
 *   200,000: 16.5-16.7% each). The end offsets of every partition are checked after each run
 *   (every partition must have records, and they must add up) and the spread is printed.
 * - Consume time is `kcat -C -o beginning -e` over all partitions (no -p) reading back the last
 *   topic produced in the case. kcat writes one line per record (its offset) to a file; the lines
 *   are counted after the clock stops, so no reader in this process competes with kcat and the
 *   broker for the two cores while the clock runs.
 * - Broker CPU seconds (user + system, from /proc/<pid>/stat) are read before and after each run
 *   and given per GB of record values.
 * - Start-to-ready is measured two ways: wall time from spawning `node sluice start` to its ready
 *   line (includes Node's own start), and the broker's own figure (config read to listening);
 *   idle RSS is read 2 s after the last start.
 * - The VM's page cache. On this project's VM, memory the kernel frees goes back to the host
 *   within seconds (virtio-balloon free page reporting), and the next first write to such a page
 *   is slow: `dd` of 1 GiB into a new file took 1.7 s, 0.19 s straight after deleting the previous
 *   one, 1.6 s again 8 s later. Every large write into new page cache (the broker's log appends,
 *   kcat's buffers and output) pays that, unless it reuses pages freed moments before (a produce
 *   run right after the previous case's topics were deleted does, partly). The bench measures the
 *   slow rate once (`--page-cache-mib`, default 1024; 0 skips) and prints it with the tables,
 *   since it weighs most on the 1 KiB rows.
 * - Consume: kcat prints only each record's offset (`-f '%o\n'`), so that what the clock
 *   measures is the fetch path and not kcat writing every value into a file through that slow
 *   page cache (with values, 1 KiB consume measured 230,000 records/s instead of 550,000+).
 * The machine, Node and kcat versions and record counts are printed with the tables.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, spawnBroker, tmpDataDir } from '../compat-tests/harness.js';
import {
  createTopic,
  deleteTopic,
  endOffsets,
  fmtInt,
  hasFlag,
  implsFromFlag,
  listFlag,
  machineLine,
  median,
  numFlag,
  startImpl,
  checkImpl,
  type Impl,
  type ImplName,
  type RunningBroker,
} from './common.js';

requireTool('kcat');
const quick = hasFlag('quick');
const rounds = numFlag('rounds', quick ? 1 : 3);
const startRuns = Math.max(1, numFlag('start-runs', quick ? 1 : 5));
const records100 = numFlag('records-100', quick ? 20_000 : 2_000_000);
const records1k = numFlag('records-1k', quick ? 5_000 : 500_000);
const partitionCounts = listFlag('partitions', ['1', '6']).map(Number);
const acksList = listFlag('acks', ['1', 'all']);
const impls = implsFromFlag();
const pageCacheMiB = numFlag('page-cache-mib', quick ? 0 : 1024);
for (const p of partitionCounts) if (!Number.isInteger(p) || p < 1) throw new Error(`--partitions: bad count ${p}`);
for (const a of acksList) if (a !== '1' && a !== 'all') throw new Error(`--acks takes 1 and/or all, got ${a}`);
if (rounds < 1 || impls.length === 0) throw new Error('nothing to run');

/** A kcat run that takes longer than this is killed and fails the benchmark (a bound, not a target). */
const KCAT_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// Start to ready and idle RSS.

interface StartFigures {
  wallMs: number;
  ownMs: number;
  idleRssMiB: number;
}

/** One spawn of `sluice start`; with `measureRss`, idle RSS 2 s after ready too. */
async function startOnce(impl: Impl, measureRss: boolean): Promise<StartFigures> {
  const data = tmpDataDir('sluice-bench-start-');
  try {
    const t0 = performance.now();
    const broker = await spawnBroker({ dataDir: data.dir, env: impl.env });
    const wallMs = performance.now() - t0;
    try {
      checkImpl(impl, broker);
      const ownMs = Number(/ready in ([\d.]+) ms/.exec(broker.output())![1]);
      let idleRssMiB = NaN;
      if (measureRss) {
        await new Promise((r) => setTimeout(r, 2000));
        idleRssMiB = broker.rssKiB() / 1024;
      }
      return { wallMs, ownMs, idleRssMiB };
    } finally {
      await broker.stop();
    }
  } finally {
    data.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Processes and files.

function writeRecordsFile(path: string, count: number, size: number): void {
  const fd = openSync(path, 'w');
  const line = Buffer.alloc(size + 1, 'a'.charCodeAt(0));
  line[size] = 0x0a;
  const chunkLines = 10_000;
  const chunk = Buffer.concat(Array.from({ length: chunkLines }, () => line));
  let left = count;
  while (left > 0) {
    const n = Math.min(left, chunkLines);
    writeSync(fd, chunk, 0, n * (size + 1));
    left -= n;
  }
  closeSync(fd);
}

/**
 * Runs a command, timing it. Its output goes straight to `stdoutFile` (or nowhere), so no reader
 * in this process competes with kcat and the broker for the two cores while the clock runs.
 * Killed (by its own handle) after KCAT_TIMEOUT_MS.
 */
function timed(cmd: string, args: string[], stdoutFile?: string): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\nkilled after ${KCAT_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, KCAT_TIMEOUT_MS);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (typeof out === 'number') closeSync(out);
      resolve({ ms, code, stderr });
    });
  });
}

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

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (100 ticks a second). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// ---------------------------------------------------------------------------------------------
// The matrix.

interface Run {
  ms: number;
  cpu: number;
}

/** One row of the table: a case, with the runs of each implementation. */
interface Row {
  label: string;
  count: number;
  size: number;
  runs: Record<ImplName, Run[]>;
}

const rows = new Map<string, Row>();
const sizeLabel = (size: number): string => (size === 1024 ? '1 KiB' : `${size} B`);
function rowFor(label: string, count: number, size: number): Row {
  let r = rows.get(label);
  if (!r) {
    r = { label, count, size, runs: { native: [], typescript: [] } };
    rows.set(label, r);
  }
  return r;
}

/** Per partition count above 1: the smallest and largest share of a run's records one partition got. */
const spreads = new Map<number, { min: number; max: number; runs: number }>();

/**
 * Checks that a topic holds exactly `count` records, and, with more than one partition, that every
 * partition got some (the partitioner really spread them); records the spread.
 */
async function checkTopic(b: RunningBroker, topic: string, partitions: number, count: number): Promise<void> {
  const ends = await endOffsets(b.broker.port, topic, partitions);
  const total = ends.reduce((s, e) => s + Number(e), 0);
  if (total !== count) throw new Error(`${topic} on ${b.impl.name}: ${total} records in the log, expected ${count} (per partition: ${ends.join(', ')})`);
  if (partitions > 1) {
    if (ends.some((e) => e === 0n)) throw new Error(`${topic} on ${b.impl.name}: a partition got no records (per partition: ${ends.join(', ')})`);
    const s = spreads.get(partitions) ?? { min: 1, max: 0, runs: 0 };
    for (const e of ends) {
      s.min = Math.min(s.min, Number(e) / count);
      s.max = Math.max(s.max, Number(e) / count);
    }
    s.runs++;
    spreads.set(partitions, s);
  }
}

const PRODUCE_CONF = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'sticky.partitioning.linger.ms=0'];

/**
 * One case on one broker: a produce of `count` records of `size` bytes into a fresh topic per acks
 * setting, then a consume of the last of those topics; the topics are deleted afterwards.
 */
async function caseOnce(b: RunningBroker, dir: string, file: string, size: number, count: number, partitions: number, round: number): Promise<void> {
  const pid = b.broker.pid;
  const topics: string[] = [];
  let ok = false;
  try {
    for (const acks of acksList) {
      const topic = `bench-${size}-p${partitions}-acks${acks}-r${round}`;
      await createTopic(b.broker.port, topic, partitions);
      topics.push(topic);
      const cpu0 = cpuSeconds(pid);
      const p = await timed('kcat', ['-b', b.broker.bootstrap, '-P', '-t', topic, '-l', file, ...PRODUCE_CONF, '-X', `acks=${acks}`]);
      const cpu1 = cpuSeconds(pid);
      if (p.code !== 0) throw new Error(`kcat produce to ${topic} on ${b.impl.name} failed: ${p.stderr}`);
      await checkTopic(b, topic, partitions, count);
      rowFor(`produce ${sizeLabel(size)}, ${partitions} p, acks=${acks}`, count, size).runs[b.impl.name].push({ ms: p.ms, cpu: cpu1 - cpu0 });
    }
    const topic = topics.at(-1)!;
    const consumed = join(dir, 'consumed.txt');
    const cpu0 = cpuSeconds(pid);
    const c = await timed('kcat', ['-b', b.broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(count), '-f', '%o\n'], consumed);
    const cpu1 = cpuSeconds(pid);
    if (c.code !== 0) throw new Error(`kcat consume of ${topic} on ${b.impl.name} failed: ${c.stderr}`);
    const lines = countLines(consumed);
    rmSync(consumed, { force: true });
    if (lines !== count) throw new Error(`consumed ${lines} records of ${topic} on ${b.impl.name}, expected ${count}`);
    rowFor(`consume ${sizeLabel(size)}, ${partitions} p`, count, size).runs[b.impl.name].push({ ms: c.ms, cpu: cpu1 - cpu0 });
    ok = true;
  } finally {
    // After a failure the broker may be gone; its error is the one worth seeing, not this one's.
    for (const t of topics) await deleteTopic(b.broker.port, t).catch((err: unknown) => {
      if (ok) throw err;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

interface Cell {
  rate: number;
  text: string;
}

/** records/s (range), MB/s, broker CPU s/GB for one implementation's runs of a row. */
function cell(row: Row, runs: Run[]): Cell | null {
  if (runs.length === 0) return null;
  const xs = [...runs].sort((x, y) => x.ms - y.ms);
  const m = xs[Math.floor(xs.length / 2)]!;
  const rate = (ms: number): number => row.count / (ms / 1000);
  const mb = (row.count * row.size) / 1e6;
  const range = xs.length > 1 ? ` (${fmtInt(rate(xs.at(-1)!.ms))}-${fmtInt(rate(xs[0]!.ms))})` : '';
  return { rate: rate(m.ms), text: `${fmtInt(rate(m.ms))}${range} | ${(mb / (m.ms / 1000)).toFixed(1)} | ${(m.cpu / (mb / 1000)).toFixed(1)}` };
}

// ---------------------------------------------------------------------------------------------

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

const pageCacheMBps = pageCacheMiB > 0 ? pageCacheRate(pageCacheMiB) : NaN;

const starts: Record<ImplName, StartFigures[]> = { native: [], typescript: [] };
for (let i = 0; i < startRuns; i++) for (const impl of impls) starts[impl.name].push(await startOnce(impl, i === startRuns - 1));

const filesDir = mkdtempSync(join(tmpdir(), 'sluice-bench-files-'));
const brokers: RunningBroker[] = [];
try {
  for (const impl of impls) brokers.push(await startImpl(impl, 'sluice-bench-'));
  const sizes: Array<[number, number]> = [
    [100, records100],
    [1024, records1k],
  ];
  const files = new Map<number, string>();
  for (const [size, count] of sizes) {
    if (count < 1) continue;
    const f = join(filesDir, `records-${size}.txt`);
    writeRecordsFile(f, count, size);
    files.set(size, f);
  }
  for (let round = 0; round < rounds; round++) {
    // Alternate which implementation goes first, round by round.
    const order = round % 2 === 0 ? brokers : [...brokers].reverse();
    for (const [size, count] of sizes) {
      if (count < 1) continue;
      for (const partitions of partitionCounts) {
        for (const b of order) await caseOnce(b, filesDir, files.get(size)!, size, count, partitions, round);
      }
    }
  }
} finally {
  for (const b of brokers) await b.close();
  rmSync(filesDir, { recursive: true, force: true });
}

const has = (n: ImplName): boolean => impls.some((i) => i.name === n);
const both = has('native') && has('typescript');
const ratio = (n: number, t: number, digits = 2): string => (both && t > 0 ? `${(n / t).toFixed(digits)}x` : '-');
const pick = (n: ImplName, f: (s: StartFigures[]) => number): number => (has(n) ? f(starts[n]) : NaN);
const fmtOr = (v: number, f: (v: number) => string): string => (Number.isNaN(v) ? '-' : f(v));

console.log(`${machineLine(true)}`);
const implNote = { native: 'native = SLUICE_NATIVE=auto (addon loaded, checked)', typescript: 'TypeScript = SLUICE_NATIVE=off' };
if (!Number.isNaN(pageCacheMBps)) console.log(`page cache: ${pageCacheMiB} MiB written into a new file at ${pageCacheMBps.toFixed(0)} MB/s before the runs (new page cache after a pause; pages freed moments before are faster, see bench/e2e.ts)`);
console.log(`records: ${fmtInt(records100)} x 100 B, ${fmtInt(records1k)} x 1 KiB; rounds ${rounds}; ${impls.map((i) => implNote[i.name]).join(', ')}`);
console.log('');
console.log('| measure | native | TypeScript | native/TS |');
console.log('| --- | --- | --- | --- |');
const wall = (n: ImplName): number => pick(n, (s) => median(s.map((x) => x.wallMs)));
const own = (n: ImplName): number => pick(n, (s) => median(s.map((x) => x.ownMs)));
const rss = (n: ImplName): number => pick(n, (s) => s.at(-1)!.idleRssMiB);
console.log(`| start to ready, wall (spawn to ready line, median of ${startRuns}) | ${fmtOr(wall('native'), (v) => `${v.toFixed(0)} ms`)} | ${fmtOr(wall('typescript'), (v) => `${v.toFixed(0)} ms`)} | ${ratio(wall('native'), wall('typescript'))} |`);
console.log(`| start to ready, broker's own (median of ${startRuns}) | ${fmtOr(own('native'), (v) => `${v.toFixed(1)} ms`)} | ${fmtOr(own('typescript'), (v) => `${v.toFixed(1)} ms`)} | ${ratio(own('native'), own('typescript'))} |`);
console.log(`| idle RSS after start | ${fmtOr(rss('native'), (v) => `${v.toFixed(1)} MiB`)} | ${fmtOr(rss('typescript'), (v) => `${v.toFixed(1)} MiB`)} | ${ratio(rss('native'), rss('typescript'))} |`);
console.log('');
console.log(`| kcat, median of ${rounds} | records | native: records/s (range) | MB/s | broker CPU s/GB | TypeScript: records/s (range) | MB/s | broker CPU s/GB | native/TS records/s |`);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows.values()) {
  const n = cell(row, row.runs.native);
  const t = cell(row, row.runs.typescript);
  console.log(`| ${row.label} | ${fmtInt(row.count)} | ${n?.text ?? '- | - | -'} | ${t?.text ?? '- | - | -'} | ${n && t ? ratio(n.rate, t.rate) : '-'} |`);
}
for (const [partitions, s] of spreads) {
  console.log('');
  console.log(
    `${partitions}-partition produce runs (sticky.partitioning.linger.ms=0): each partition got ${(s.min * 100).toFixed(1)}-${(s.max * 100).toFixed(1)}% of a run's records over ${s.runs} runs (an even spread is ${(100 / partitions).toFixed(1)}%)`,
  );
}
