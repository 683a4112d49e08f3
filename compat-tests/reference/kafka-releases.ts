/**
 * Regenerates src/control/kafka-releases.ts: the API version ranges each Apache Kafka release's
 * broker advertises in ApiVersions, recorded by running that release. For each version it
 * resolves kafka_2.13 from Maven Central into `.cache/kafka-<version>/libs` (releases-pom.xml),
 * formats a KRaft combined node (broker + controller) in a temporary directory, starts it on
 * loopback, waits until Metadata lists the broker (a KRaft broker of 3.x narrows forwarded APIs to
 * what its controller serves only once it reaches it), asks ApiVersions v0, and stops it by PID.
 *
 *   node dist/compat-tests/reference/kafka-releases.js [version ...]   # default: every release below
 *
 * Each release runs the way it was deployed by default: 2.8-3.9 as a ZooKeeper-mode broker (with a
 * ZooKeeper from the same classpath: ZooKeeperServerMain on another loopback port, its admin server
 * off), 4.x as KRaft (the only mode left). A 2.8 KRaft broker (early access) advertised only 32
 * APIs, not what a 2.8 cluster showed its clients. Versions already in the table and not named
 * are kept as they are. Facts only: API key, lowest and highest version.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort } from '../harness.js';
import { RawClient } from '../raw-client.js';
import { ApiVersions } from '../../src/protocol/generated/index.js';
import { javaCommand, kraftNodeProperties, newClusterId, waitForMetadata } from './kafka.js';
import { KAFKA_RELEASES, type KafkaRelease } from '../../src/control/kafka-releases.js';

/** The newest patch release of each minor line from 2.8 on. */
export const RELEASES = ['2.8.2', '3.0.2', '3.1.2', '3.2.3', '3.3.2', '3.4.1', '3.5.2', '3.6.2', '3.7.2', '3.8.1', '3.9.1', '4.0.1', '4.1.1'];

const POM = join(ROOT, 'compat-tests', 'reference', 'releases-pom.xml');
const TABLE = join(ROOT, 'src', 'control', 'kafka-releases.ts');

function resolveRelease(version: string): string {
  const libs = join(ROOT, '.cache', `kafka-${version}`, 'libs');
  if (!existsSync(join(libs, `kafka_2.13-${version}.jar`))) {
    mkdirSync(libs, { recursive: true });
    const r = spawnSync('mvn', ['-B', '-q', '-f', POM, `-Dkafka.version=${version}`, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 15 * 60_000,
    });
    if (r.status !== 0) throw new Error(`resolving Apache Kafka ${version} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
  return `${libs}/*`;
}

export function modeOf(version: string): 'zk' | 'kraft' {
  return Number(version.split('.')[0]) >= 4 ? 'kraft' : 'zk';
}

async function record(version: string): Promise<Array<[number, number, number]>> {
  const cp = resolveRelease(version);
  const port = await freePort();
  const controllerPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `apache-kafka-${version}-`));
  const zk = modeOf(version) === 'zk';
  const zkPort = zk ? await freePort() : 0;
  const zkProps: Record<string, string> = {
    'broker.id': '1',
    'zookeeper.connect': `127.0.0.1:${zkPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': join(dir, 'data'),
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
  };
  const kraftProps = kraftNodeProperties(port, controllerPort, join(dir, 'data'));
  const props = zk ? zkProps : kraftProps;
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const jvm = ['-Xmx384m', '-XX:+UseG1GC', '-Djava.awt.headless=true', '-cp', cp];
  const zkProc = zk ? spawn(javaCommand(), ['-Xmx128m', '-Dzookeeper.admin.enableServer=false', '-cp', cp, 'org.apache.zookeeper.server.ZooKeeperServerMain', String(zkPort), join(dir, 'zk')], { stdio: 'ignore' }) : null;
  const zkExited = zkProc ? new Promise<void>((resolve) => zkProc.once('exit', () => resolve())) : Promise.resolve();
  const fmt = zk ? { status: 0, stdout: '', stderr: '' } : spawnSync(javaCommand(), [...jvm, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsFile], { encoding: 'utf8', timeout: 120_000 });
  if (fmt.status !== 0) {
    zkProc?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka-storage format of ${version} failed (exit ${fmt.status}): ${(fmt.stdout + fmt.stderr).slice(-2000)}`);
  }
  const proc = spawn(javaCommand(), [...jvm, 'kafka.Kafka', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-8000)));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-8000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await waitForMetadata(port, () => proc.exitCode !== null || proc.signalCode !== null, 120_000, 200);
    const c = await RawClient.connect(port);
    try {
      const av = await c.request(ApiVersions, 0, { clientSoftwareName: 'sluice-kafka-releases', clientSoftwareVersion: '0' });
      if (av.errorCode !== 0) throw new Error(`ApiVersions answered error ${av.errorCode}`);
      return av.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion] as [number, number, number]).sort((a, b) => a[0] - b[0]);
    } finally {
      c.close();
    }
  } catch (e) {
    throw new Error(`Apache Kafka ${version}: ${(e as Error).message}\n${out.slice(-2000)}`);
  } finally {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    zkProc?.kill('SIGTERM');
    await zkExited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function tableText(releases: Record<string, KafkaRelease>): string {
  const lines: string[] = [];
  lines.push('/**');
  lines.push(' * The API version ranges the broker of each Apache Kafka release advertises in ApiVersions, by');
  lines.push(' * release line ("2.8" ... "4.1"): `[apiKey, minVersion, maxVersion]`. Facts recorded by running');
  lines.push(' * each release (2.8-3.9 with a ZooKeeper, 4.x as a KRaft combined node) and asking it (compat-tests/reference/kafka-releases.ts');
  lines.push(' * regenerates this file; do not edit it by hand). `source` says which patch release was run.');
  lines.push(' */');
  lines.push('');
  lines.push('export interface KafkaRelease {');
  lines.push('  /** The patch release the ranges were recorded from, e.g. "3.9.1". */');
  lines.push('  readonly source: string;');
  lines.push('  /** How the release ran: as a ZooKeeper-mode broker (its default through 3.9) or KRaft (4.x). */');
  lines.push("  readonly mode: 'zk' | 'kraft';");
  lines.push('  readonly apis: ReadonlyArray<readonly [apiKey: number, minVersion: number, maxVersion: number]>;');
  lines.push('}');
  lines.push('');
  lines.push('export const KAFKA_RELEASES: Readonly<Record<string, KafkaRelease>> = {');
  const order = Object.keys(releases).sort((a, b) => cmp(a, b));
  for (const line of order) {
    const r = releases[line]!;
    lines.push(`  '${line}': {`);
    lines.push(`    source: '${r.source}',`);
    lines.push(`    mode: '${r.mode}',`);
    lines.push(`    apis: [${r.apis.map(([k, lo, hi]) => `[${k}, ${lo}, ${hi}]`).join(', ')}],`);
    lines.push('  },');
  }
  lines.push('};');
  lines.push('');
  return lines.join('\n');
}

function cmp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

async function main(argv: string[]): Promise<void> {
  const versions = argv.length > 0 ? argv : RELEASES;
  const releases: Record<string, KafkaRelease> = { ...KAFKA_RELEASES };
  let failed = 0;
  for (const version of versions) {
    const t0 = Date.now();
    try {
      const apis = await record(version);
      releases[version.split('.').slice(0, 2).join('.')] = { source: version, mode: modeOf(version), apis };
      process.stdout.write(`${version}: ${apis.length} APIs (${Date.now() - t0} ms)\n`);
    } catch (e) {
      failed++;
      process.stderr.write(`${(e as Error).message}\n`);
    }
    // Written after each release, so an interrupted run keeps what it recorded.
    if (!existsSync(TABLE) || readFileSync(TABLE, 'utf8') !== tableText(releases)) writeFileSync(TABLE, tableText(releases));
  }
  process.stdout.write(`${TABLE} written${failed ? `; ${failed} release(s) failed` : ''}\n`);
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
