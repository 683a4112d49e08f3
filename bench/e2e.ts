/**
 * End-to-end numbers from real processes: broker start-to-ready time, idle RSS, and kcat
 * produce/consume throughput for 100 B and 1 KiB records on one partition.
 *
 *   npm run build && node dist/bench/e2e.js [--records-100 1000000] [--records-1k 250000] [--rounds 3]
 *
 * Each throughput row is the median of `--rounds` runs (into fresh topics), with the range of
 * records/s, because single runs on a shared 2-core machine vary by up to 2x.
 *
 * Start-to-ready is measured two ways: wall time from spawning `node sluice start` to its ready
 * line (includes Node's own start), and the broker's own figure (config read to listening).
 * Produce time is kcat's whole run (connect, produce, flush; acks=all, librdkafka's default, set
 * explicitly; on one node Sluice answers acks=1 and acks=all alike, after the local append); consume
 * time is `kcat -C -o beginning -e` reading everything back. The machine, Node version and
 * record counts are printed with the table so numbers can be compared.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { run, spawnBroker, tmpDataDir, type BrokerProcess } from '../compat-tests/harness.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function startToReady(runs: number): Promise<{ wallMs: number; ownMs: number; idleRssMiB: number }> {
  const walls: number[] = [];
  const owns: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const data = tmpDataDir('sluice-bench-start-');
    const t0 = performance.now();
    const b = await spawnBroker({ dataDir: data.dir });
    walls.push(performance.now() - t0);
    owns.push(Number(/ready in ([\d.]+) ms/.exec(b.output())![1]));
    if (i === runs - 1) {
      await new Promise((r) => setTimeout(r, 2000));
      rss = b.rssKiB() / 1024;
    }
    await b.stop();
    data.remove();
  }
  return { wallMs: median(walls), ownMs: median(owns), idleRssMiB: rss };
}

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
 */
function timed(cmd: string, args: string[], stdoutFile?: string): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
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

interface Run {
  ms: number;
  cpu: number;
}

/** One produce and one consume of `count` records of `size` bytes into a fresh topic. */
async function throughputOnce(b: BrokerProcess, dir: string, size: number, count: number, round: number): Promise<{ produce: Run; consume: Run }> {
  const topic = `bench-${size}-${round}`;
  const file = join(dir, `records-${size}.txt`);
  writeRecordsFile(file, count, size);
  await run('kcat', ['-b', b.bootstrap, '-P', '-t', topic, '-p', '0'], { input: 'warmup\n' });
  const cpu0 = cpuSeconds(b.pid);
  const p = await timed('kcat', ['-b', b.bootstrap, '-P', '-t', topic, '-p', '0', '-l', file, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'acks=all']);
  const cpu1 = cpuSeconds(b.pid);
  if (p.code !== 0) throw new Error(`kcat produce failed: ${p.stderr}`);
  const consumed = join(dir, `consumed-${size}.txt`);
  const c = await timed('kcat', ['-b', b.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-c', String(count + 1)], consumed);
  const cpu2 = cpuSeconds(b.pid);
  if (c.code !== 0) throw new Error(`kcat consume failed: ${c.stderr}`);
  const lines = countLines(consumed);
  if (lines !== count + 1) throw new Error(`consumed ${lines} records, expected ${count + 1}`);
  return { produce: { ms: p.ms, cpu: cpu1 - cpu0 }, consume: { ms: c.ms, cpu: cpu2 - cpu1 } };
}

/** Median (by time) of `rounds` runs, with the range of records/s. */
async function throughput(b: BrokerProcess, dir: string, size: number, count: number, rounds: number): Promise<string[]> {
  const runs: Array<{ produce: Run; consume: Run }> = [];
  for (let r = 0; r < rounds; r++) runs.push(await throughputOnce(b, dir, size, count, r));
  const mb = (count * size) / 1e6;
  const row = (what: 'produce' | 'consume') => {
    const xs = runs.map((r) => r[what]).sort((x, y) => x.ms - y.ms);
    const m = xs[Math.floor(xs.length / 2)]!;
    const rate = (ms: number) => Math.round(count / (ms / 1000));
    return `| ${what} ${size} B | ${count.toLocaleString('en-US')} | ${rate(m.ms).toLocaleString('en-US')} (${rate(xs.at(-1)!.ms).toLocaleString('en-US')}-${rate(xs[0]!.ms).toLocaleString('en-US')}) | ${(mb / (m.ms / 1000)).toFixed(1)} | ${(m.cpu / (mb / 1000)).toFixed(1)} |`;
  };
  return [row('produce'), row('consume')];
}

const start = await startToReady(5);
const data = tmpDataDir('sluice-bench-');
const broker = await spawnBroker({ dataDir: data.dir });
const rows: string[] = [];
try {
  const rounds = arg('rounds', 3);
  rows.push(...(await throughput(broker, data.dir, 100, arg('records-100', 1_000_000), rounds)));
  rows.push(...(await throughput(broker, data.dir, 1024, arg('records-1k', 250_000), rounds)));
} finally {
  await broker.stop();
  data.remove();
}
const kcatV = /Version (\S+) .*librdkafka (\S+)/.exec((await run('kcat', ['-V'])).stdout);
const kcatVersion = kcatV ? `kcat ${kcatV[1]} (librdkafka ${kcatV[2]})` : 'kcat';
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${kcatVersion}, SLUICE_NATIVE=${process.env['SLUICE_NATIVE'] ?? 'auto'}`);
console.log('');
console.log('| measure | value |');
console.log('| --- | --- |');
console.log(`| start to ready, wall (spawn to ready line, median of 5) | ${start.wallMs.toFixed(0)} ms |`);
console.log(`| start to ready, broker's own (median of 5) | ${start.ownMs.toFixed(1)} ms |`);
console.log(`| idle RSS after start | ${start.idleRssMiB.toFixed(1)} MiB |`);
console.log('');
console.log(`| kcat, 1 partition, acks=all, median of ${arg('rounds', 3)} | records | records/s (range) | MB/s | broker CPU s/GB |`);
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
