/**
 * Produce throughput and broker CPU of two builds side by side, interleaved: this build and a
 * baseline bundle (--baseline, e.g. dist/sluice.mjs of an older commit built in a worktree). Made
 * to price issue 10's record walk (every produced record is now read before it is stored) on
 * whatever machine runs it, since absolute figures move between hosts.
 *
 *   npm run build && node dist/bench/produce-ab.js --baseline /path/to/old/dist/sluice.mjs [--rounds 3]
 *
 * Each round runs, for each build in alternating order: kcat producing 2,000,000 × 100 B and
 * 500,000 × 1 KiB records to a new 1-partition topic with acks=all (the e2e bench's kcat settings),
 * and 50,000 × 100 B one record a request (the cost per request),
 * timed over kcat's whole run; broker CPU is the broker process's user + system time over the run
 * (/proc/PID/stat), per GB of record values. Both builds run with the addon they were built with
 * (SLUICE_NATIVE=auto). Prints medians and the ratio this/baseline.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, spawnBroker, tmpDataDir, type BrokerProcess } from '../compat-tests/harness.js';
import { createTopic, deleteTopic, endOffsets, fmtInt, listFlag, machineLine, median, numFlag } from './common.js';

const baseline = listFlag('baseline', [''])[0]!;
if (baseline === '') {
  process.stderr.write('usage: node dist/bench/produce-ab.js --baseline PATH/TO/sluice.mjs [--rounds 3]\n');
  process.exit(2);
}
const rounds = numFlag('rounds', 3);
const builds = [
  { name: 'this build', cli: CLI },
  { name: 'baseline', cli: baseline },
];
const PRODUCE_CONF = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'acks=all'];
// One record a request, five in flight: what a build spends per request (issue 14's request log is
// one entry per answered request) rather than per byte.
const ONE_PER_REQUEST = ['-X', 'linger.ms=0', '-X', 'batch.num.messages=1', '-X', 'max.in.flight.requests.per.connection=5', '-X', 'acks=all'];
const cases = [
  { name: '100 B', records: 2_000_000, bytes: 100, conf: PRODUCE_CONF },
  { name: '1 KiB', records: 500_000, bytes: 1024, conf: PRODUCE_CONF },
  { name: '100 B, one a request', records: 50_000, bytes: 100, conf: ONE_PER_REQUEST },
];

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function kcat(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`kcat exited ${code}: ${err.slice(-500)}`))));
  });
}

function inputFile(c: (typeof cases)[number]): string {
  const file = join(tmpdir(), `sluice-produce-ab-${c.bytes}-${c.records}.txt`);
  const line = 'x'.repeat(c.bytes) + '\n';
  writeFileSync(file, line.repeat(c.records));
  return file;
}

interface Sample {
  recordsPerS: number;
  cpuSPerGB: number;
}

async function main(): Promise<void> {
  process.stdout.write(`${machineLine(true)}\nbaseline: ${baseline}\n`);
  const files = new Map(cases.map((c) => [c.name, inputFile(c)]));
  const running: Array<{ name: string; broker: BrokerProcess; remove: () => void }> = [];
  for (const b of builds) {
    const data = tmpDataDir('sluice-produce-ab-');
    running.push({ name: b.name, broker: await spawnBroker({ dataDir: data.dir, cli: b.cli }), remove: data.remove });
  }
  const samples = new Map<string, Sample[]>();
  try {
    let n = 0;
    for (let round = 0; round < rounds; round++) {
      for (const c of cases) {
        const order = round % 2 === 0 ? running : [...running].reverse();
        for (const r of order) {
          const topic = `ab-${n++}`;
          await createTopic(r.broker.port, topic, 1);
          const cpu0 = cpuSeconds(r.broker.pid);
          const seconds = await kcat(['-b', r.broker.bootstrap, '-P', '-t', topic, '-l', files.get(c.name)!, ...c.conf]);
          const cpu = cpuSeconds(r.broker.pid) - cpu0;
          const [end] = await endOffsets(r.broker.port, topic, 1);
          if (end !== BigInt(c.records)) throw new Error(`${r.name} ${c.name}: end offset ${end}, expected ${c.records}`);
          await deleteTopic(r.broker.port, topic);
          const key = `${c.name}\0${r.name}`;
          samples.set(key, [...(samples.get(key) ?? []), { recordsPerS: c.records / seconds, cpuSPerGB: cpu / ((c.records * c.bytes) / 1e9) }]);
        }
      }
    }
  } finally {
    for (const r of running) {
      await r.broker.stop();
      r.remove();
    }
  }
  process.stdout.write(`\n| kcat produce, 1 partition, acks=all, median of ${rounds} | this build: records/s | broker CPU s/GB | baseline: records/s | broker CPU s/GB | records/s this/baseline | CPU this/baseline |\n| --- | --- | --- | --- | --- | --- | --- |\n`);
  for (const c of cases) {
    const [a, b] = builds.map((bd) => samples.get(`${c.name}\0${bd.name}`)!);
    const ar = median(a!.map((s) => s.recordsPerS));
    const br = median(b!.map((s) => s.recordsPerS));
    const ac = median(a!.map((s) => s.cpuSPerGB));
    const bc = median(b!.map((s) => s.cpuSPerGB));
    process.stdout.write(`| ${fmtInt(c.records)} × ${c.name} | ${fmtInt(ar)} | ${ac.toFixed(2)} | ${fmtInt(br)} | ${bc.toFixed(2)} | ${(ar / br).toFixed(2)}× | ${(ac / bc).toFixed(2)}× |\n`);
  }
}

await main();
