/**
 * What the end-to-end benchmarks (e2e.ts, latency.ts) share: command-line flags, the two broker
 * implementations run side by side, the few admin requests they need (sent with the project's own
 * codecs over a raw connection, so no client library sits between the benchmark and the broker),
 * and the line that describes the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { RawClient } from '../compat-tests/raw-client.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from '../compat-tests/harness.js';
import { CreateTopics, type CreateTopicsRequestCreatableTopic } from '../src/protocol/generated/19-create-topics.js';
import { DeleteTopics } from '../src/protocol/generated/20-delete-topics.js';
import { ListOffsets } from '../src/protocol/generated/02-list-offsets.js';

// ---------------------------------------------------------------------------------------------
// Flags: `--name value`; lists are comma-separated.

export function hasFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

function flagValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function numFlag(name: string, fallback: number): number {
  const v = flagValue(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${v}`);
  return n;
}

export function listFlag(name: string, fallback: string[]): string[] {
  const v = flagValue(name);
  return v === undefined ? fallback : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `xs` in the order for round `r`: rotated so that round r starts with element r mod n. */
export function rotated<T>(xs: readonly T[], r: number): T[] {
  const k = r % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

// ---------------------------------------------------------------------------------------------
// The two implementations. Both brokers run at once, idle while the other is measured, so the
// benchmarks can alternate between them case by case: slow drift of a shared machine (other
// load, page cache, thermal state) then falls on both columns alike instead of on one.

export type ImplName = 'native' | 'typescript';

export interface Impl {
  readonly name: ImplName;
  /** SLUICE_NATIVE for the broker process. */
  readonly env: NodeJS.ProcessEnv;
}

export const IMPLS: readonly Impl[] = [
  { name: 'native', env: { SLUICE_NATIVE: 'auto' } },
  { name: 'typescript', env: { SLUICE_NATIVE: 'off' } },
];

/** `--impls native,typescript` (or `ts`), in that order whatever the flag's order. */
export function implsFromFlag(): Impl[] {
  const wanted = listFlag('impls', ['native', 'typescript']).map((s) => (s === 'ts' ? 'typescript' : s));
  for (const w of wanted) if (w !== 'native' && w !== 'typescript') throw new Error(`--impls: unknown implementation ${w}`);
  return IMPLS.filter((i) => wanted.includes(i.name));
}

/**
 * Throws unless the broker runs the implementation asked for. With SLUICE_NATIVE=auto a missing
 * or stale addon silently falls back to TypeScript, which would make the two columns measure the
 * same thing; the broker logs which one runs at start, so that line decides.
 */
export function checkImpl(impl: Impl, b: BrokerProcess): void {
  const out = b.output();
  const native = /native addon loaded/.test(out);
  const ts = /native addon not used/.test(out);
  if (impl.name === 'native' && !native) {
    throw new Error(`the native broker is not running the addon (build it with npm run build:native):\n${out.slice(-2000)}`);
  }
  if (impl.name === 'typescript' && !ts) throw new Error(`the TypeScript broker did not say it runs without the addon:\n${out.slice(-2000)}`);
}

export interface RunningBroker {
  readonly impl: Impl;
  readonly broker: BrokerProcess;
  /** Stops the broker and removes its data directory. */
  close(): Promise<void>;
}

export async function startImpl(impl: Impl, prefix: string): Promise<RunningBroker> {
  const data = tmpDataDir(`${prefix}${impl.name}-`);
  const broker = await spawnBroker({ dataDir: data.dir, env: impl.env });
  try {
    checkImpl(impl, broker);
  } catch (err) {
    await broker.stop();
    data.remove();
    throw err;
  }
  return {
    impl,
    broker,
    close: async () => {
      await broker.stop();
      data.remove();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Admin requests. A connection per call: a few per benchmark case, so its cost does not matter.

export async function withClient<T>(port: number, f: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(port);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

export async function createTopic(port: number, name: string, partitions: number): Promise<void> {
  await createTopicAs(port, { name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] });
}

/** CreateTopics v4 of one topic as described (explicit assignments, configs); throws on an error code. */
export async function createTopicAs(port: number, topic: CreateTopicsRequestCreatableTopic): Promise<void> {
  const res = await withClient(port, (c) => c.request(CreateTopics, 4, { topics: [topic], timeoutMs: 10000, validateOnly: false }));
  const t = res.topics[0];
  if (!t || t.errorCode !== 0) throw new Error(`CreateTopics ${topic.name}: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
}

/** Deletes a topic so that a long benchmark does not fill the disk (the broker removes its files). */
export async function deleteTopic(port: number, name: string): Promise<void> {
  const res = await withClient(port, (c) => c.request(DeleteTopics, 4, { topics: [], topicNames: [name], timeoutMs: 10000 }));
  const t = res.responses[0];
  if (!t || t.errorCode !== 0) throw new Error(`DeleteTopics ${name}: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
}

/**
 * The end offset (the next offset to be written) of each partition, in partition order. ListOffsets
 * v5 unless `version` says otherwise (librdkafka 2.0's mock cluster garbles v4+ answers that carry
 * more than one partition; v1 it answers right).
 */
export async function endOffsets(port: number, name: string, partitions: number, version = 5): Promise<bigint[]> {
  const res = await withClient(port, (c) =>
    c.request(ListOffsets, version, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
      timeoutMs: 0,
    }),
  );
  const ps = res.topics[0]?.partitions ?? [];
  const out: bigint[] = new Array<bigint>(partitions).fill(-1n);
  for (const p of ps) {
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${name}-${p.partitionIndex}: error ${p.errorCode}`);
    out[p.partitionIndex] = p.offset;
  }
  if (out.includes(-1n)) throw new Error(`ListOffsets ${name}: not every partition answered`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Client processes: kcat and the Java tools, timed.

/**
 * kcat's producer settings for throughput runs: batches of up to 10,000 records after 5 ms, a
 * queue large enough not to block, keyless records spread over every partition (no sticky linger).
 */
export const KCAT_PRODUCE_CONF: readonly string[] = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'sticky.partitioning.linger.ms=0'];

/** A file of `count` lines of `size` bytes each ('a'...), for `kcat -P -l`. */
export function writeRecordsFile(path: string, count: number, size: number): void {
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

/** A client run that takes longer than this is killed and fails the benchmark (a bound, not a target). */
const CLIENT_TIMEOUT_MS = 300_000;

/** Client processes running now, killed (by their handles) if this process is interrupted. */
const clients = new Set<ChildProcess>();

/** On SIGINT or SIGTERM: kill the running clients, then exit (130), which runs the exit hooks that stop brokers. */
export function stopClientsOnSignal(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const c of clients) c.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/**
 * Runs a command, timing it. Its stdout goes straight to `stdoutFile` (or into memory when
 * `capture`, for the perf tools' few lines), so no reader in this process competes with the client
 * and the broker for the cores while the clock runs. Killed (by its own handle) after CLIENT_TIMEOUT_MS.
 */
export function timed(cmd: string, args: readonly string[], opts: { stdoutFile?: string; capture?: boolean } = {}): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const out = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : opts.capture ? 'pipe' : 'ignore';
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', out, 'pipe'] });
    clients.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-20000)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20000)));
    const timer = setTimeout(() => {
      stderr += `\nkilled after ${CLIENT_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, CLIENT_TIMEOUT_MS);
    child.on('close', (code) => {
      clients.delete(child);
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (typeof out === 'number') closeSync(out);
      resolve({ ms, code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------

/** Machine, Node and (when installed) kcat versions, printed with every table so numbers can be compared. */
export function machineLine(withKcat: boolean): string {
  let kcat = '';
  if (withKcat) {
    // spawnSync with no stdin: kcat -V exits at once, and writing to its stdin could fail with EPIPE.
    const v = /Version (\S+) .*librdkafka (\S+)/.exec(spawnSync('kcat', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).stdout ?? '');
    kcat = v ? `, kcat ${v[1]} (librdkafka ${v[2]})` : ', kcat';
  }
  return `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}${kcat}`;
}
