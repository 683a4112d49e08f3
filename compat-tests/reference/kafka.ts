/**
 * Apache Kafka, the reference broker: resolved from Maven Central into a git-ignored cache, run as
 * a KRaft combined node (broker + controller) on loopback in a temporary directory, stopped by
 * PID. A test and bench dependency only: nothing of Kafka is committed or shipped.
 *
 *   node dist/compat-tests/reference/kafka.js resolve      # fetch the jars (once per version)
 *   node dist/compat-tests/reference/kafka.js start [--port N] [--override k=v ...]
 *
 * The version is 4.1.1 (the version of ../shared/kafka-message-specs) unless KAFKA_VERSION names
 * another 4.x release. Java comes from JAVA_HOME, else `java` on PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort } from '../harness.js';
import { RawClient } from '../raw-client.js';
import { ApiVersions, Metadata } from '../../src/protocol/generated/index.js';

export const DEFAULT_KAFKA_VERSION = '4.1.1';
export const KAFKA_VERSION = process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
const POM = join(ROOT, 'compat-tests', 'reference', 'pom.xml');

/** Where a version's jars live: `.cache/kafka-<version>/libs` under the project (git-ignored). */
export function kafkaLibs(version = KAFKA_VERSION): string {
  return join(ROOT, '.cache', `kafka-${version}`, 'libs');
}

/** The classpath of a resolved version (its jars, as a `dir/*` wildcard), resolving it first if needed. */
export function resolveKafka(version = KAFKA_VERSION): string {
  if (!/^4\.\d+\.\d+$/.test(version)) throw new Error(`KAFKA_VERSION=${version}: expected a 4.x release such as ${DEFAULT_KAFKA_VERSION}`);
  const libs = kafkaLibs(version);
  const marker = join(libs, `kafka_2.13-${version}.jar`);
  if (!existsSync(marker)) {
    mkdirSync(libs, { recursive: true });
    const r = spawnSync(
      'mvn',
      ['-B', '-q', '-f', POM, `-Dkafka.version=${version}`, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 15 * 60_000 },
    );
    if (r.status !== 0 || !existsSync(marker)) {
      throw new Error(`resolving Apache Kafka ${version} with Maven failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
    }
  }
  return `${libs}/*`;
}

export function javaCommand(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * What the differential suite sets on both brokers: single-node values and Sluice's dev timings,
 * so that the defaults where Sluice differs on purpose (README, "Apache Kafka beside Sluice") are
 * not what it compares.
 */
export const DIFFERENTIAL_SETTINGS: Readonly<Record<string, string>> = {
  // Kafka's node needs an id in its file; Sluice is told the same, so both report it as set.
  'node.id': '1',
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'group.initial.rebalance.delay.ms': '100',
  'group.min.session.timeout.ms': '1000',
  'offsets.topic.num.partitions': '50',
  'transaction.state.log.num.partitions': '50',
  // The compaction scenario waits for the cleaner; Kafka's 15 s between passes would make it slow.
  'log.cleaner.backoff.ms': '1000',
};

export interface KafkaProcess {
  readonly version: string;
  readonly port: number;
  readonly bootstrap: string;
  pid: number;
  proc: ChildProcess;
  readonly dir: string;
  /** Milliseconds from spawn to the first Metadata answer naming this broker. */
  readonly readyMs: number;
  /** The tail of Kafka's own log (server.log in its directory). */
  log(): string;
  /** SIGTERM, SIGKILL after `timeoutMs`, then remove the directory. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGTERM (SIGKILL after `timeoutMs`), then the same node again on the same port and data; resolves when it answers Metadata. `pid` and `proc` are the new process's. */
  restart(timeoutMs?: number): Promise<void>;
  rssKiB(): number;
}

/**
 * A new cluster id: 16 random bytes in URL-safe base64, as Kafka's Uuid prints them. Never one
 * that starts with '-': `kafka-storage format -t -...` takes it for an option and fails (one id
 * in 64 would); Kafka's own Uuid.randomUuid() skips those for the same reason.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A log4j2 configuration that sends Kafka's INFO lines (state changes: WARN) to `logFile` only;
 * `loggers` sets more levels, e.g. `{ 'kafka.request.logger': 'TRACE' }` logs every request and
 * response as JSON.
 */
export function writeLog4jConfig(path: string, logFile: string, loggers: Readonly<Record<string, string>> = {}): void {
  writeFileSync(
    path,
    [
      'appender.file.type = File',
      'appender.file.name = file',
      `appender.file.fileName = ${logFile}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.file.ref = file',
      'logger.kafka.name = kafka',
      'logger.kafka.level = INFO',
      'logger.state.name = state.change.logger',
      'logger.state.level = WARN',
      ...Object.entries(loggers).flatMap(([name, level], i) => [`logger.extra${i}.name = ${name}`, `logger.extra${i}.level = ${level}`]),
    ].join('\n') + '\n',
  );
}

/**
 * Formats and starts a KRaft combined node on 127.0.0.1: `port` for clients (free one if not
 * given), another for the controller, `heapMb` of heap (512 MiB by default, like a small broker),
 * `overrides` written into its server.properties. Resolves when it answers Metadata.
 * An override of `listeners` gets the CONTROLLER listener appended unless it names one, and
 * must keep a PLAINTEXT listener on `port` (readiness is polled there). `formatArgs` go to
 * `kafka-storage format` (e.g. `--add-scram 'SCRAM-SHA-256=[name=alice,password=...]'`).
 */
/** A single combined KRaft node on loopback: the properties every release since 3.3 starts with. */
export function kraftNodeProperties(port: number, controllerPort: number, logDir: string): Record<string, string> {
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
  };
}

export async function startKafka(
  opts: {
    port?: number;
    heapMb?: number;
    overrides?: Record<string, string>;
    formatArgs?: readonly string[];
    version?: string;
    timeoutMs?: number;
    extraClasspath?: readonly string[];
    /** More log4j logger levels (writeLog4jConfig). */
    loggers?: Readonly<Record<string, string>>;
  } = {},
): Promise<KafkaProcess> {
  const version = opts.version ?? KAFKA_VERSION;
  // extraClasspath: plugins of a test (e.g. a telemetry receiver, telemetry-differential.test.ts).
  const classpath = [resolveKafka(version), ...(opts.extraClasspath ?? [])].join(':');
  const port = opts.port ?? (await freePort());
  const controllerPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'apache-kafka-'));
  const props: Record<string, string> = {
    ...kraftNodeProperties(port, controllerPort, join(dir, 'data')),
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    ...opts.overrides,
  };
  if (opts.overrides?.listeners !== undefined && !/CONTROLLER:\/\//.test(opts.overrides.listeners)) {
    props.listeners = `${opts.overrides.listeners},CONTROLLER://127.0.0.1:${controllerPort}`;
  }
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const logFile = join(dir, 'server.log');
  const log4j = join(dir, 'log4j2.properties');
  writeLog4jConfig(log4j, logFile, opts.loggers);
  const java = javaCommand();
  const jvm = [`-Xmx${opts.heapMb ?? 512}m`, `-Xms${opts.heapMb ?? 512}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath];
  const fmt = spawnSync(java, [...jvm.filter((a) => !a.startsWith('-Xms')), 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsFile, ...(opts.formatArgs ?? [])], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (fmt.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka-storage format failed (exit ${fmt.status}):\n${fmt.stdout}${fmt.stderr}`);
  }
  let out = '';
  const launch = (): { proc: ChildProcess; exited: Promise<void> } => {
    const proc = spawn(java, [...jvm, 'kafka.Kafka', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20000)));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20000)));
    return { proc, exited: new Promise<void>((resolve) => proc.once('exit', () => resolve())) };
  };
  const started = Date.now();
  let current = launch();
  const log = (): string => {
    const file = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-8000) : '';
    return out + file;
  };
  const terminate = async (timeoutMs: number): Promise<void> => {
    const { proc, exited } = current;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
  };
  const stop = async (timeoutMs = 20000): Promise<void> => {
    await terminate(timeoutMs);
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = (): Promise<void> => {
    const { proc } = current;
    return waitForMetadata(port, () => proc.exitCode !== null || proc.signalCode !== null, opts.timeoutMs ?? 90_000);
  };
  try {
    await ready();
  } catch (e) {
    const tail = log();
    await stop(5000);
    throw new Error(`Apache Kafka ${version} did not start: ${(e as Error).message}\n${tail.slice(-4000)}`);
  }
  const k: KafkaProcess = {
    version,
    port,
    bootstrap: `127.0.0.1:${port}`,
    pid: current.proc.pid!,
    proc: current.proc,
    dir,
    readyMs: Date.now() - started,
    log,
    stop,
    restart: async (timeoutMs = 20000) => {
      await terminate(timeoutMs);
      current = launch();
      k.pid = current.proc.pid!;
      k.proc = current.proc;
      await ready();
    },
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${k.pid}/status`, 'utf8'))?.[1] ?? 0),
  };
  return k;
}

/**
 * Polls Metadata until the broker lists itself (a KRaft broker answers only once registered), at
 * the highest version both it (asked with ApiVersions v0, which every broker and fake knows) and
 * our codec have, capped at 12: librdkafka's mock closes the connection on a version it does not
 * know. Used for Apache Kafka here and for every peer of bench/e2e.ts.
 */
export async function waitForMetadata(port: number, gone: () => boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (gone()) throw new Error('the process exited');
    try {
      const c = await RawClient.connect(port);
      try {
        const av = await c.request(ApiVersions, 0, { clientSoftwareName: 'sluice-tests', clientSoftwareVersion: '0' });
        const range = av.apiKeys.find((k) => k.apiKey === Metadata.apiKey);
        if (!range) throw new Error('the broker does not offer Metadata');
        const v = Math.min(range.maxVersion, Metadata.maxVersion, 12);
        const md = await c.request(Metadata, v, { topics: [], allowAutoTopicCreation: v < 4, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        if (md.brokers.length > 0) return;
        last = 'Metadata listed no brokers yet';
      } finally {
        c.close();
      }
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`no Metadata answer within ${timeoutMs} ms (${last})`);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'resolve') {
    const t0 = Date.now();
    resolveKafka();
    process.stdout.write(`Apache Kafka ${KAFKA_VERSION}: ${kafkaLibs()} (${Date.now() - t0} ms)\n`);
    return;
  }
  if (cmd === 'start') {
    const overrides: Record<string, string> = {};
    let port: number | undefined;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '--port') port = Number(rest[++i]);
      else if (rest[i] === '--override') {
        const [k, ...v] = (rest[++i] ?? '').split('=');
        overrides[k!] = v.join('=');
      } else throw new Error(`unknown argument ${rest[i]}`);
    }
    const k = await startKafka({ port, overrides });
    process.stdout.write(`Apache Kafka ${k.version} ready on ${k.bootstrap} (pid ${k.pid}, ${k.readyMs} ms, directory ${k.dir}); Ctrl-C stops it\n`);
    const onSignal = (): void => void k.stop().then(() => process.exit(0));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return;
  }
  process.stderr.write('usage: kafka.js resolve | start [--port N] [--override key=value ...]\n');
  process.exitCode = 2;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
