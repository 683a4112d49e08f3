/**
 * Measurement, not a test: one client opens thousands of idle connections (or keeps opening and
 * closing them) while another client produces. Prints what the flooder got, how long the other
 * client's produces took, and the broker's RSS.
 *
 * Usage: node dist/compat-tests/connection-flood.js [connections=10000] [--override key=value ...]
 * The churn runs in a child process (`--churn <port>`), so it does not slow the measuring client.
 * Needs about connections + 100 file descriptors in this process and in the broker (ulimit -n).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ApiVersions, CreateTopics, Produce } from '../src/protocol/generated/index.js';
import { buildRecordBatch } from '../src/log/record-batch.js';
import { spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient } from './raw-client.js';

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const overrides = args.filter((a, i) => args[i - 1] === '--override');

function open(port: number, localAddress: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

/** Opens n connections, `parallel` at a time; returns those still open a moment later. */
async function flood(port: number, n: number, parallel: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => open(port, '127.0.0.1')));
    for (const s of batch) if (s) sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 500));
  return sockets.filter((s) => !s.destroyed && s.readyState === 'open');
}

async function produceOnce(c: RawClient, topic: string): Promise<number> {
  const t0 = performance.now();
  const res = await c.request(Produce, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('x') }]) }] }],
  });
  const code = res.responses[0]!.partitionResponses[0]!.errorCode;
  if (code !== 0) throw new Error(`produce error ${code}`);
  return performance.now() - t0;
}

/** A client from `localAddress`: connect, ApiVersions, create the topic once, produce n times. */
async function otherClient(broker: BrokerProcess, localAddress: string, topic: string, n = 20): Promise<string> {
  const t0 = performance.now();
  let c: RawClient;
  try {
    c = await RawClient.connect(broker.port, localAddress);
    await c.request(ApiVersions, 3, { clientSoftwareName: 'other', clientSoftwareVersion: '1' });
  } catch (e) {
    return `${localAddress}: not served (${(e as Error).message})`;
  }
  await c.request(CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  const served = performance.now() - t0;
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await produceOnce(c, topic));
  c.close();
  ms.sort((a, b) => a - b);
  const at = (q: number): string => ms[Math.min(n - 1, Math.floor(q * n))]!.toFixed(1);
  return `${localAddress}: served ${Math.round(served)} ms after connecting; ${n} produces p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}

async function main(): Promise<void> {
  const data = tmpDataDir();
  const broker = await spawnBroker({ dataDir: data.dir, args: overrides.flatMap((o) => ['--override', o]) });
  const rss0 = broker.rssKiB();
  try {
    console.log(`broker ${overrides.join(' ') || '(defaults)'}; RSS ${Math.round(rss0 / 1024)} MiB`);
    const t0 = performance.now();
    const idle = await flood(broker.port, count, 200);
    console.log(`flooder (127.0.0.1): ${idle.length} of ${count} connections open after ${Math.round(performance.now() - t0)} ms; broker RSS ${Math.round(broker.rssKiB() / 1024)} MiB`);
    await new Promise((r) => setTimeout(r, 1500)); // the flood is now idle for longer than limits.evictIdleMsMin
    console.log(await otherClient(broker, '127.0.0.2', 'other-a'));
    console.log(await otherClient(broker, '127.0.0.1', 'other-b'));
    console.log(`flooder connections still open: ${idle.filter((s) => !s.destroyed && s.readyState === 'open').length}`);
    for (const s of idle) s.destroy();

    await new Promise((r) => setTimeout(r, 2000)); // the broker notices the flood closing
    console.log(await otherClient(broker, '127.0.0.2', 'other-quiet'));
    const churn = spawn(process.execPath, [fileURLToPath(import.meta.url), '--churn', String(broker.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let churnOut = '';
    churn.stdout.setEncoding('utf8').on('data', (d: string) => (churnOut += d));
    await new Promise((r) => setTimeout(r, 1000));
    const t1 = performance.now();
    const during = await otherClient(broker, '127.0.0.2', 'other-c', 2000);
    const exited = new Promise((r) => churn.once('exit', r));
    churn.kill('SIGTERM');
    await exited;
    const seconds = (performance.now() - t1 + 1000) / 1000;
    console.log(`during a churn of ${churnOut.trim() || '?'} connection attempts in ${seconds.toFixed(1)} s from another process: ${during}`);
    console.log(`broker RSS at the end ${Math.round(broker.rssKiB() / 1024)} MiB`);
  } finally {
    await broker.stop();
    data.remove();
  }
}

/** Child mode: open and drop connections, 200 at a time, until SIGTERM; prints the attempts. */
async function churn(port: number): Promise<void> {
  let attempts = 0;
  let running = true;
  process.once('SIGTERM', () => (running = false));
  while (running) {
    const batch = await Promise.all(Array.from({ length: 200 }, () => open(port, '127.0.0.1')));
    attempts += batch.length;
    for (const s of batch) s?.destroy();
  }
  process.stdout.write(`${attempts}\n`);
}

const churnAt = args.indexOf('--churn');
(churnAt >= 0 ? churn(Number(args[churnAt + 1])) : main()).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
