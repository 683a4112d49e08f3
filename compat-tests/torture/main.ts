/**
 * `npm run torture`: the broker as a hostile or careless client meets it, bounded in count and
 * time, on loopback only, stopping by itself. Three phases, each against a real `sluice start`:
 *
 *  fuzz   mutated frames seeded from real client captures (capture.ts, fuzz.ts); a healthy client
 *         probes throughout; afterwards every stored record must decode as a consumer decodes it.
 *  crash  kill -9 under idempotent acks=all load, again and again; nothing acknowledged lost, no
 *         record twice (crash.ts).
 *  flood  idle connections from one client, half-sent 100 MiB frames, fetch responses never read;
 *         another client must stay served and the broker's RSS bounded (flood.ts).
 *  disk   a producer fills a small tmpfs; errors instead of crashes, service again once space is
 *         freed, a clean shutdown, nothing acknowledged lost (disk.ts; needs permission to mount).
 *
 * Prints counts and what held; exits 1 on a crash, an RSS over the limit, a failed probe, a lost
 * or duplicated record, or a record a consumer cannot read. `--short` is the CI size.
 *
 *   node dist/compat-tests/torture/main.js [--short] [--phases fuzz,crash,flood,disk] [--seed N]
 *     [--frames N] [--cycles N] [--connections N] [--rss-limit-mib N]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, spawnBroker, tmpDataDir } from '../harness.js';
import { captureSeeds } from './capture.js';
import { decodeEverything } from './common.js';
import { crashLoop } from './crash.js';
import { diskFull } from './disk.js';
import { flood } from './flood.js';
import { fuzz } from './fuzz.js';

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    phases: { type: 'string', default: 'fuzz,crash,flood,disk' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    frames: { type: 'string' },
    cycles: { type: 'string' },
    connections: { type: 'string' },
    'rss-limit-mib': { type: 'string' },
  },
});

const short = args.short!;
const size = {
  frames: Number(args.frames ?? (short ? 30_000 : 1_000_000)),
  // The short run usually processes its frames in seconds, but a mutated CreateTopics may ask for
  // thousands of partitions, which the broker creates on its event loop (2-4 ms each on the
  // 2-core machine): a CI run once created 9,432 and reached 90 s. The bound is the frames.
  fuzzSeconds: short ? 300 : 1800,
  cycles: Number(args.cycles ?? (short ? 6 : 100)),
  crashSeconds: short ? 60 : 1200,
  connections: Number(args.connections ?? (short ? 2_000 : 10_000)),
  halfSent: short ? 8 : 32,
  unreadFetchers: short ? 4 : 16,
  rssLimitMiB: Number(args['rss-limit-mib'] ?? 512),
};
const seed = Number(args.seed);
const phases = new Set(args.phases!.split(','));
const log = (line: string): void => void process.stdout.write(line + '\n');

let held = 0;
let failed = 0;
function check(ok: boolean, what: string): void {
  if (ok) held++;
  else failed++;
  log(`${ok ? 'held' : 'FAILED'}: ${what}`);
}

async function fuzzPhase(): Promise<void> {
  const data = tmpDataDir('sluice-torture-fuzz-');
  const broker = await spawnBroker({ dataDir: data.dir });
  try {
    log(`fuzz: broker pid ${broker.pid} on ${broker.bootstrap}, seed ${seed}`);
    const seeds = await captureSeeds(broker.port, log);
    log(`  ${seeds.frames.length} seed frames (${[...seeds.bySource].map(([k, v]) => `${k} ${v}`).join(', ')})`);
    for (const f of seeds.failures) log(`  a seeding client failed: ${f}`);
    check(seeds.frames.length > 100, `seeded from real clients and samples: ${seeds.frames.length} frames`);
    const r = await fuzz(seeds.frames, {
      port: broker.port, pid: broker.pid, frames: size.frames, seconds: size.fuzzSeconds, seed, connections: 16,
      probeEvery: Math.max(1000, Math.floor(size.frames / 100)), rssLimitMiB: size.rssLimitMiB, log,
    });
    log(`  ${r.frames} mutated frames processed (${r.answered} answered, ${r.refused} refused by closing the connection) of ${r.sent} sent (${r.unanswered} never read or answered; ${r.recordMutations} of those sent were Produce frames with records changed under a valid CRC); ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.connectionsOpened} connections, ${r.seconds.toFixed(0)} s, ${(r.frames / r.seconds).toFixed(0)} frames/s`);
    if (r.lastFrames.length > 0) {
      const file = join(tmpdir(), `sluice-torture-frames-${seed}.txt`);
      writeFileSync(file, r.lastFrames.join('\n') + '\n');
      log(`  the last ${r.lastFrames.length} frames before the failure (hex): ${file}`);
    }
    check(!r.crashed, `the broker did not crash under ${r.frames} processed mutated frames`);
    check(r.frames >= size.frames, `${r.frames} of the ${size.frames} frames asked for were processed`);
    check(!r.rssExceeded, `broker RSS stayed under ${size.rssLimitMiB} MiB (peak ${r.peakRssMiB.toFixed(0)} MiB)`);
    check(r.probeFailures.length === 0, `a healthy client was served in all ${r.probes} probes${r.probeFailures.length ? ': ' + r.probeFailures.slice(0, 3).join('; ') : ''}`);
    if (!r.crashed) {
      const d = await decodeEverything(broker.port);
      check(d.problems.length === 0, `every stored record decodes: ${d.records} records in ${d.batches} batches over ${d.partitions} partitions${d.undecodable ? ` (${d.undecodable} batches in a codec this process cannot read)` : ''}${d.problems.length ? ': ' + d.problems.slice(0, 3).join('; ') : ''}`);
      const code = await broker.stop();
      check(code === 0, `SIGTERM after the fuzzing exits 0 (got ${code})`);
    }
  } finally {
    await broker.kill9();
    data.remove();
  }
}

async function crashPhase(): Promise<void> {
  const data = tmpDataDir('sluice-torture-crash-');
  try {
    const port = await freePort();
    log(`crash: ${size.cycles} kill -9 cycles on port ${port}`);
    const r = await crashLoop({ dataDir: data.dir, port, cycles: size.cycles, seconds: size.crashSeconds, seed, log });
    log(`  ${r.cycles} cycles in ${r.seconds.toFixed(0)} s: ${r.sent} records sent, ${r.acknowledged} acknowledged, ${r.found} read back`);
    check(r.startFailures.length === 0, `the broker restarted after every kill -9${r.startFailures.length ? ': ' + r.startFailures[0] : ''}`);
    check(r.cycles >= Math.min(size.cycles, 3), `${r.cycles} kill -9 cycles ran`);
    check(r.acknowledged > 0, `records were acknowledged (${r.acknowledged})`);
    check(r.lost.length === 0, `no acknowledged record lost (${r.lost.length} lost${r.lost.length ? ', e.g. ' + r.lost.slice(0, 3).join(', ') : ''})`);
    check(r.duplicates.length === 0, `no record stored twice (${r.duplicates.length}${r.duplicates.length ? ', e.g. ' + r.duplicates.slice(0, 3).join(', ') : ''})`);
  } finally {
    data.remove();
  }
}

async function floodPhase(): Promise<void> {
  const data = tmpDataDir('sluice-torture-flood-');
  const broker = await spawnBroker({ dataDir: data.dir });
  try {
    log(`flood: broker pid ${broker.pid} on ${broker.bootstrap}`);
    const r = await flood({ port: broker.port, pid: broker.pid, connections: size.connections, halfSent: size.halfSent, unreadFetchers: size.unreadFetchers, rssLimitMiB: size.rssLimitMiB, log });
    if (r.idleOpenError) log(`  opening idle connections stopped: ${r.idleOpenError}`);
    check(r.probeDuringIdle === null, `${r.idleOpened} connections from one client do not stop another from producing${r.probeDuringIdle ? ': ' + r.probeDuringIdle : ''}`);
    check(r.probeDuringHalfSent === null, `${size.halfSent} half-sent 100 MiB frames do not stop another client${r.probeDuringHalfSent ? ': ' + r.probeDuringHalfSent : ''}`);
    check(r.probeDuringUnread === null, `${size.unreadFetchers} connections that never read do not stop another client${r.probeDuringUnread ? ': ' + r.probeDuringUnread : ''}`);
    check(!r.rssExceeded, `broker RSS stayed under ${size.rssLimitMiB} MiB through the floods (peak ${r.peakRssMiB.toFixed(0)} MiB)`);
    check(!r.crashed, 'the broker did not crash');
  } finally {
    await broker.stop().catch(() => broker.kill9());
    data.remove();
  }
}

async function diskPhase(): Promise<void> {
  log('disk: a small tmpfs filled by a producer');
  const r = await diskFull(log);
  if (r.skipped) {
    log(`  not run: ${r.skipped}`);
    return;
  }
  check(r.fullError !== null, `a full disk refuses the produce with an error (${r.fullError}) after ${r.acknowledged} acknowledged records`);
  check(r.answeredWhileFull && r.createWhileFull !== null && r.createWhileFull !== 0, `while full the broker answers; CreateTopics gets an error (${r.createWhileFull}), not a dropped connection`);
  check(r.servedAfterFree === null, `once space is freed, topics are created and written again${r.servedAfterFree ? ': ' + r.servedAfterFree : ''}`);
  check(!r.crashed && r.stopExitCode === 0, `no crash, and SIGTERM exits 0 (got ${r.stopExitCode})`);
  check(r.lost === 0, `after a restart every acknowledged record is there (${r.lost} lost)`);
}

const started = Date.now();
for (const [name, phase] of [['fuzz', fuzzPhase], ['crash', crashPhase], ['flood', floodPhase], ['disk', diskPhase]] as const) {
  if (!phases.has(name)) continue;
  try {
    await phase();
  } catch (e) {
    check(false, `${name} phase ran to the end: ${(e as Error).stack ?? e}`);
  }
}
log(`torture: ${held} held, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(0)} s (seed ${seed}${short ? ', short' : ''})`);
process.exit(failed > 0 ? 1 : 0);
