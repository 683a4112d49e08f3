/**
 * The brokers bench/e2e.ts compares, behind one small interface: Apache Kafka (the reference,
 * compat-tests/reference/kafka.ts), Sluice with and without its native addon, and two in-memory
 * fakes that test suites use in Kafka's place, franz-go's kfake and librdkafka's mock cluster,
 * each hosted by a tiny program of our own (bench/fakes/, built by bench/setup.sh).
 *
 * Every peer is a process of its own on 127.0.0.1, so its CPU time and RSS can be read from
 * /proc/<pid>; for the fakes that process is the host program, which does nothing but host them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, spawnBroker, tmpDataDir } from '../compat-tests/harness.js';
import { KAFKA_VERSION, startKafka, waitForMetadata } from '../compat-tests/reference/kafka.js';
import { IMPLS, checkImpl, createTopic, deleteTopic } from './common.js';

export type PeerName = 'kafka' | 'native' | 'typescript' | 'kfake' | 'rdkafka-mock';
export const PEER_NAMES: readonly PeerName[] = ['kafka', 'native', 'typescript', 'kfake', 'rdkafka-mock'];

export const PEER_LABELS: Readonly<Record<PeerName, string>> = {
  kafka: `Apache Kafka ${KAFKA_VERSION}`,
  native: 'Sluice native',
  typescript: 'Sluice TypeScript',
  kfake: 'kfake',
  'rdkafka-mock': 'librdkafka mock',
};

/** Which peers keep records in memory only (the others write a log to disk, through the page cache). */
export const IN_MEMORY: Readonly<Record<PeerName, boolean>> = { kafka: false, native: false, typescript: false, kfake: true, 'rdkafka-mock': true };

/** Apache Kafka's heap: what kafka-server-start.sh gives it by default (-Xmx1G -Xms1G). */
export const KAFKA_HEAP_MB = 1024;

/**
 * Broker settings for Apache Kafka beyond compat-tests/reference/kafka.ts's single-node ones: the
 * first classic-group join waits 0 ms instead of 3 s (ConsumerPerformance reports its fetch rate
 * without the join anyway; this only saves wall time). Nothing that changes the data path.
 */
export const KAFKA_BENCH_OVERRIDES: Readonly<Record<string, string>> = { 'group.initial.rebalance.delay.ms': '0' };

export const BENCH_BIN = join(ROOT, '.cache', 'bench');
const KFAKE_BIN = join(BENCH_BIN, 'kfake-bench');
const MOCK_BIN = join(BENCH_BIN, 'rdkafka-mock-bench');

export interface Peer {
  readonly name: PeerName;
  readonly port: number;
  readonly bootstrap: string;
  /** The process whose CPU and memory count as the broker's. */
  readonly pid: number;
  /**
   * False for librdkafka's mock: it keeps only the last 5 MiB (or 100,000 batches) of each
   * partition, so a topic cannot be read back from the beginning once more was written.
   */
  readonly keepsEverything: boolean;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Removes a topic (a no-op on librdkafka's mock, which has no way to, and bounds its memory itself). */
  deleteTopic(name: string): Promise<void>;
  /** The tail of the peer's own output, for error messages. */
  output(): string;
  close(): Promise<void>;
}

/** Builds the fakes' host programs (bench/setup.sh) unless they are there already. */
export function ensureFakes(names: readonly PeerName[]): void {
  const missing = (names.includes('kfake') && !existsSync(KFAKE_BIN)) || (names.includes('rdkafka-mock') && !existsSync(MOCK_BIN));
  if (!missing) return;
  process.stderr.write('building the fakes with bench/setup.sh\n');
  const r = spawnSync('bash', [join(ROOT, 'bench', 'setup.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench/setup.sh failed (exit ${r.status})`);
}

/** librdkafka's version as Debian's librdkafka-dev reports it, and kfake's module version from its go.mod. */
export function fakeVersions(): { librdkafka: string; kfake: string; franzGo: string } {
  const pc = spawnSync('pkg-config', ['--modversion', 'rdkafka'], { encoding: 'utf8' });
  const mod = readFileSync(join(ROOT, 'bench', 'fakes', 'kfake', 'go.mod'), 'utf8');
  return {
    librdkafka: pc.status === 0 ? pc.stdout.trim() : '?',
    kfake: /github\.com\/twmb\/franz-go\/pkg\/kfake (\S+)/.exec(mod)?.[1] ?? '?',
    franzGo: /github\.com\/twmb\/franz-go (\S+)/.exec(mod)?.[1] ?? '?',
  };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (100 ticks a second). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory now (VmRSS) and at its peak so far (VmHWM), MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

const METADATA_TIMEOUT_MS = 90_000;

/** A real broker (Apache Kafka or Sluice): it keeps what it is sent, topics over the wire. */
function onDisk(name: PeerName, port: number, pid: number, output: () => string, close: () => Promise<unknown>): Peer {
  return {
    name,
    port,
    bootstrap: `127.0.0.1:${port}`,
    pid,
    keepsEverything: true,
    createTopic: (t, p) => createTopic(port, t, p),
    deleteTopic: (t) => deleteTopic(port, t),
    output,
    close: async () => {
      await close();
    },
  };
}

/**
 * Starts a peer and waits until it answers Metadata naming a broker. `readyMs` is the time from
 * spawning the broker's process to that answer, for every peer alike (Apache Kafka: its
 * `kafka.Kafka` process; the `kafka-storage format` run before it is `prepareMs`).
 */
export async function startPeer(name: PeerName): Promise<{ peer: Peer; readyMs: number; prepareMs: number }> {
  if (name === 'kafka') {
    const t0 = performance.now();
    const k = await startKafka({ heapMb: KAFKA_HEAP_MB, overrides: { ...KAFKA_BENCH_OVERRIDES } });
    const total = performance.now() - t0;
    const peer = onDisk(name, k.port, k.pid, () => k.log(), () => k.stop());
    return { peer, readyMs: k.readyMs, prepareMs: Math.max(0, total - k.readyMs) };
  }
  if (name === 'native' || name === 'typescript') {
    const impl = IMPLS.find((i) => i.name === name)!;
    const data = tmpDataDir(`sluice-bench-${name}-`);
    const t0 = performance.now();
    const b = await spawnBroker({ dataDir: data.dir, env: impl.env });
    try {
      await waitForMetadata(b.port, () => false, METADATA_TIMEOUT_MS);
      const readyMs = performance.now() - t0;
      checkImpl(impl, b);
      const peer = onDisk(name, b.port, b.pid, () => b.output(), async () => {
        await b.stop();
        data.remove();
      });
      return { peer, readyMs, prepareMs: 0 };
    } catch (err) {
      await b.stop();
      data.remove();
      throw err;
    }
  }
  return startFake(name);
}

/** Spawns a fake's host program, which prints "ready host:port" and answers commands line by line. */
async function startFake(name: 'kfake' | 'rdkafka-mock'): Promise<{ peer: Peer; readyMs: number; prepareMs: number }> {
  const bin = name === 'kfake' ? KFAKE_BIN : MOCK_BIN;
  const t0 = performance.now();
  const proc: ChildProcess = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const gone = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const lines = createInterface({ input: proc.stdout! });
  const waiting: Array<(line: string) => void> = [];
  let readyResolve!: (addr: string) => void;
  const ready = new Promise<string>((r) => (readyResolve = r));
  lines.on('line', (line) => {
    const m = /^ready (\S+)$/.exec(line);
    if (m) readyResolve(m[1]!);
    else waiting.shift()?.(line);
  });
  const close = async (): Promise<void> => {
    if (!gone()) {
      proc.stdin!.end(); // both hosts exit when their stdin closes
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const addr = await Promise.race([
      ready,
      exited.then(() => Promise.reject(new Error(`${bin} exited before it was ready: ${err}`))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${bin} not ready within 30 s: ${err}`)), 30_000)),
    ]);
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    await waitForMetadata(port, gone, METADATA_TIMEOUT_MS);
    const readyMs = performance.now() - t0;
    const command = (line: string): Promise<string> =>
      new Promise((resolve) => {
        waiting.push(resolve);
        proc.stdin!.write(`${line}\n`);
      });
    const peer: Peer = {
      name,
      port,
      bootstrap: `127.0.0.1:${port}`,
      pid: proc.pid!,
      keepsEverything: name === 'kfake',
      createTopic: async (t, p) => {
        if (name === 'kfake') return createTopic(port, t, p);
        const answer = await command(`create ${t} ${p}`);
        if (answer !== 'ok') throw new Error(`librdkafka mock: create ${t}: ${answer}`);
      },
      deleteTopic: async (t) => {
        if (name === 'kfake') await deleteTopic(port, t);
      },
      output: () => err,
      close,
    };
    return { peer, readyMs, prepareMs: 0 };
  } catch (e) {
    await close();
    throw e;
  }
}
