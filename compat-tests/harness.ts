/**
 * Test harness: a real `sluice start` process on 127.0.0.1 with a port it picks itself, plus
 * helpers to run the real client tools (kcat, Debian's Python clients) against it.
 *
 * The Python clients are Debian packages, installed for the system interpreter, so scripts run
 * with /usr/bin/python3 whatever `python3` is first on PATH. A missing tool fails the test with a
 * message that says how to install it; nothing is skipped silently.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
/** The `sluice` command as installed: the bundle `npm run build` makes of src/cli/main.ts (package.json bin). */
export const CLI = join(ROOT, 'dist', 'sluice.mjs');
export const PYTHON = '/usr/bin/python3';
export const PY_DIR = join(ROOT, 'compat-tests', 'python');

/** A fresh directory under the OS temp dir; `remove` leaves it when SLUICE_KEEP_TEST_DATA is set (to read node logs after a failure). */
export function tmpDataDir(prefix = 'sluice-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = (): void => {
    if (!process.env.SLUICE_KEEP_TEST_DATA) rmSync(dir, { recursive: true, force: true });
  };
  return { dir, remove };
}

export interface BrokerProcess {
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
  /** Resident set size in KiB, from /proc. */
  rssKiB(): number;
  /** "http://127.0.0.1:P" of the admin endpoint (spawnBroker's `admin`), else null. */
  readonly adminUrl: string | null;
}

/**
 * Starts `sluice start` on 127.0.0.1. `port` defaults to 0 (the broker picks one); a fixed port
 * (from freePort()) lets a test restart the broker where running clients can find it again.
 * `openFilesMax` lowers the process's file descriptor limit (RLIMIT_NOFILE) first.
 */
export async function spawnBroker(opts: {
  dataDir: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  port?: number;
  openFilesMax?: number;
  /** Another build's bundle (benchmarks comparing builds). */
  cli?: string;
  /** Serve the admin endpoint on a free port (`--admin-port`); its address is `adminUrl`. */
  admin?: boolean;
}): Promise<BrokerProcess> {
  const adminPort = opts.admin ? await freePortRun(1) : null;
  const adminArgs = adminPort === null ? [] : ['--admin-port', String(adminPort)];
  const command = [process.execPath, opts.cli ?? CLI, 'start', '--port', String(opts.port ?? 0), '--data-dir', opts.dataDir, ...adminArgs, ...(opts.args ?? [])];
  // `openFilesMax`: the broker runs under `ulimit -n`; exec keeps the PID the broker's own.
  const [file, ...args] = opts.openFilesMax === undefined ? command : ['/bin/sh', '-c', `ulimit -n ${opts.openFilesMax} && exec "$0" "$@"`, ...command];
  const proc = spawn(file!, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready in ${opts.timeoutMs ?? 15000} ms:\n${out}`)), opts.timeoutMs ?? 15000);
    const onData = (): void => {
      const m = /sluice ready on [^ ]*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with code ${code} before ready:\n${out}`));
    });
  });
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir: opts.dataDir,
    adminUrl: adminPort === null ? null : `http://127.0.0.1:${adminPort}`,
    pid: proc.pid!,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
    rssKiB: () => {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function listenOn(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/**
 * The lowest port the kernel hands out to outgoing connections (Linux's ip_local_port_range);
 * 32768 where it cannot be read.
 */
function ephemeralPortsLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A first port P with P..P+count-1 all free on 127.0.0.1 a moment ago (bound together, then
 * released). Taken below the ephemeral range when there is room, so that a node restarted on its
 * port (a cluster test's kill and restart) cannot find it taken by some outgoing connection.
 */
export async function freePortRun(count: number): Promise<number> {
  const below = ephemeralPortsLow() - count - 10_000;
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = below > 0 ? await listenOn(10_000 + Math.floor(Math.random() * below)) : await listenOn(0);
    if (!first) continue;
    const p = (first.address() as { port: number }).port;
    const held: Server[] = [first];
    let ok = p + count <= 65536;
    for (let i = 1; ok && i < count; i++) {
      const s = await listenOn(p + i);
      if (s) held.push(s);
      else ok = false;
    }
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return p;
  }
  throw new Error(`no run of ${count} free ports found on 127.0.0.1`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs), feeding `input` on stdin. */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs ?? 60000} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
    }, opts.timeoutMs ?? 60000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits without reading its input (kcat -L, a failed start) closes the pipe
    // first: EPIPE here is not the test's failure, the command's exit code and output tell it.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Throws a clear error when an external client is missing. */
export function requireTool(what: 'kcat' | 'confluent_kafka' | 'kafka' | 'zstandard'): void {
  const hint = 'install the test clients with: apt-get install -y kcat python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard (or run .ci/run)';
  if (what === 'kcat') {
    if (spawnSync('kcat', ['-V']).status !== 0) throw new Error(`kcat not found; ${hint}`);
    return;
  }
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', `import ${what}`]).status !== 0) {
    throw new Error(`Python module ${what} not found for ${PYTHON}; ${hint}`);
  }
}

/** A record as every reader script prints it: one JSON object per line. */
export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null; // base64
  value: string | null; // base64
  headers: Array<[string, string | null]>; // [key, base64 value]
  timestamp: number;
}

export function parseRecordLines(stdout: string): ReadRecord[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ReadRecord);
}

/** Runs one of the Python client scripts in compat-tests/python. */
export async function python(script: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const res = await run(PYTHON, [join(PY_DIR, script), ...args], opts);
  if (res.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${res.code}\n${res.stderr.slice(-4000)}`);
  return res;
}

export const b64 = (v: string | Buffer | null): string | null => (v === null ? null : Buffer.from(v).toString('base64'));

/** Polls `pred` every 50 ms until it returns a value other than undefined, null or false. */
export async function until<T>(what: string, pred: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 5000, diag?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diag ? `\n${diag()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then SIGKILL if the broker has not exited after `timeoutMs`; resolves with the exit code (null if killed). */
export async function stopBroker(b: BrokerProcess | undefined, timeoutMs = 10000): Promise<number | null> {
  if (!b) return null;
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<null>((resolve) => {
    timer = setTimeout(() => void b.kill9().then(() => resolve(null)), timeoutMs);
  });
  try {
    return await Promise.race([b.stop(), killed]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A long-running client process (a group consumer) watched line by line: every stdout line is
 * kept, and the lines that are JSON objects are parsed into `events`. It is stopped by PID only.
 */
export interface Worker<E = Record<string, unknown>> {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Every complete stdout line so far. */
  readonly lines: string[];
  /** The stdout lines that start with '{', parsed. */
  readonly events: E[];
  stderr(): string;
  /** Exit code and signal once the process has exited, else undefined. */
  exitInfo(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Throws if the process exited without being asked to. */
  assertAlive(): void;
  /** SIGTERM (or `signal`) and wait for exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
  /** A short description for failure messages: exit status and the tail of stderr. */
  describe(): string;
}

export function spawnWorker<E = Record<string, unknown>>(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Worker<E> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const lines: string[] = [];
  const events: E[] = [];
  let partial = '';
  let err = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let asked = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  proc.on('error', (e) => (err += `\nspawn error: ${String(e)}`));
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      if (line.startsWith('{')) {
        try {
          events.push(JSON.parse(line) as E);
        } catch {
          err += `\nunparsable stdout line: ${line.slice(0, 200)}`;
        }
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const w: Worker<E> = {
    name,
    pid: proc.pid ?? -1,
    proc,
    lines,
    events,
    stderr: () => err,
    exitInfo: () => exit,
    describe: () => `${name} (pid ${proc.pid}): ${exit ? `exited code=${exit.code} signal=${exit.signal}` : 'running'}; stderr tail:\n${err.slice(-3000)}`,
    assertAlive: () => {
      if (exit && !asked) throw new Error(`${name} exited unexpectedly: ${w.describe()}`);
    },
    stop: async (timeoutMs = 15000, signal: NodeJS.Signals = 'SIGTERM') => {
      asked = true;
      if (exit) return exit;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    kill9: async () => {
      asked = true;
      if (exit) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
  return w;
}

/** A record as kafkajs delivers it, keys and values as strings. */
export interface KafkajsRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

/**
 * Reads `topic` from the beginning with a kafkajs consumer in a new group until `done` says the
 * records read so far are enough (30 s at most); returns them in delivery order.
 */
export async function readWithKafkajsGroup(kafka: Kafka, topic: string, done: (read: readonly KafkajsRecord[]) => boolean): Promise<KafkajsRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const out: KafkajsRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        out.push({ offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
      },
    });
    await until(`kafkajs to finish reading ${topic}`, () => done(out), 30000, () => `read ${out.length}`);
  } finally {
    await consumer.disconnect();
  }
  return out;
}
