/**
 * A broker's lifecycle with many partitions, two builds side by side, interleaved: this build and a
 * baseline bundle (--baseline, e.g. dist/sluice.mjs of an older commit built in a worktree). What a
 * test suite that starts and stops brokers pays, and what a restart after an upgrade costs.
 *
 *   npm run build && node dist/bench/lifecycle-ab.js --baseline /path/to/old/dist/sluice.mjs [--partitions 1000] [--rounds 3]
 *
 * Each round, for each build in alternating order, on a new data directory: start, CreateTopics of
 * one topic with --partitions partitions (timed to its answer), a first stop (SIGTERM to exit),
 * a restart on the same directory (spawn to "ready", every partition opened from a clean
 * shutdown), a second stop. Both builds run with the addon they were built with
 * (SLUICE_NATIVE=auto). Prints medians and the ratio this/baseline.
 */
import { CLI, spawnBroker, tmpDataDir, type BrokerProcess } from '../compat-tests/harness.js';
import { createTopic, fmtInt, listFlag, machineLine, median, numFlag } from './common.js';

const baseline = listFlag('baseline', [''])[0]!;
if (baseline === '') {
  process.stderr.write('usage: node dist/bench/lifecycle-ab.js --baseline PATH/TO/sluice.mjs [--partitions 1000] [--rounds 3]\n');
  process.exit(2);
}
const rounds = numFlag('rounds', 3);
const partitions = numFlag('partitions', 1000);
const builds = [
  { name: 'this build', cli: CLI },
  { name: 'baseline', cli: baseline },
];
const steps = ['create', 'first stop', 'restart', 'second stop'] as const;
type Step = (typeof steps)[number];

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** SIGTERM, timed to the exit; a broker that was already gone or exits with an error fails the run. */
async function stop(b: BrokerProcess): Promise<number> {
  if (b.proc.exitCode !== null || b.proc.signalCode !== null) throw new Error(`the broker had exited before its stop:\n${b.output().slice(-2000)}`);
  let code: number | null = null;
  const ms = await timed(async () => (code = await b.stop()));
  if (code !== 0) throw new Error(`the broker exited with ${code}:\n${b.output().slice(-2000)}`);
  return ms;
}

async function lifecycle(cli: string): Promise<Record<Step, number>> {
  const data = tmpDataDir('sluice-lifecycle-');
  try {
    const opts = { dataDir: data.dir, cli, env: { SLUICE_NATIVE: 'auto' }, timeoutMs: 120_000 };
    let broker = await spawnBroker(opts);
    const create = await timed(() => createTopic(broker.port, 'many', partitions));
    const firstStop = await stop(broker);
    const restart = await timed(async () => (broker = await spawnBroker(opts)));
    const secondStop = await stop(broker);
    return { create, 'first stop': firstStop, restart, 'second stop': secondStop };
  } finally {
    data.remove();
  }
}

const results = new Map<string, Record<Step, number[]>>(builds.map((b) => [b.name, { create: [], 'first stop': [], restart: [], 'second stop': [] }]));
process.stdout.write(`${machineLine(false)}\n${partitions} partitions, ${rounds} rounds\n`);
for (let r = 0; r < rounds; r++) {
  for (const b of r % 2 === 0 ? builds : [...builds].reverse()) {
    const got = await lifecycle(b.cli);
    for (const s of steps) results.get(b.name)![s].push(got[s]);
    process.stdout.write(`round ${r + 1} ${b.name}: ${steps.map((s) => `${s} ${fmtInt(got[s])} ms`).join(', ')}\n`);
  }
}
process.stdout.write('\nmedians (ms)        this build   baseline   this/baseline\n');
for (const s of steps) {
  const mine = median(results.get('this build')![s]);
  const base = median(results.get('baseline')![s]);
  process.stdout.write(`${s.padEnd(18)} ${fmtInt(mine).padStart(10)} ${fmtInt(base).padStart(10)}   ${(mine / base).toFixed(2)}\n`);
}
