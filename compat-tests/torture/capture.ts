/**
 * Seed frames for the fuzzer: what real clients send, recorded by a proxy in front of the broker
 * (kcat with every codec, kafkajs admin/producer/transactions/group consumer, kafka-python and
 * confluent-kafka producers and readers), plus one sample request for every API and version the
 * broker advertises, built from our own definitions, so versions no installed client sends are
 * seeded too.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { loadDefinitions } from '../../protocol/definitions.js';
import { sampleMessage } from '../../protocol/samples.js';
import type { ApiCodec } from '../../src/protocol/api-codec.js';
import { ApiVersions, apiCodecs } from '../../src/protocol/generated/index.js';
import { startFaultProxy } from '../fault-proxy.js';
import { PY_DIR, PYTHON } from '../harness.js';
import { RawClient, requestFrame } from '../raw-client.js';

export interface Seeds {
  frames: Buffer[];
  /** Frames per source, for the report. */
  bySource: Map<string, number>;
  /** Client runs that failed (the seeds are fewer, the run goes on). */
  failures: string[];
}

/** Runs a command for at most `ms`, feeding `input`; resolves when it ends or is killed. */
function runFor(cmd: string, args: string[], ms: number, input = ''): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', () => resolve(-1));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.stdin.end(input);
  });
}

const lines = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `k${i % 7}:${tag}-${i}`).join('\n') + '\n';

async function kcatClients(bootstrap: string): Promise<void> {
  await runFor('kcat', ['-L', '-b', bootstrap], 10_000);
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    await runFor('kcat', ['-P', '-b', bootstrap, '-t', `seed-${codec}`, '-z', codec, '-K', ':', '-H', 'h1=v1', '-H', 'h2=v2'], 15_000, lines(200, codec));
  }
  await runFor('kcat', ['-C', '-b', bootstrap, '-t', 'seed-gzip', '-o', 'beginning', '-e', '-q'], 15_000);
  await runFor('kcat', ['-C', '-b', bootstrap, '-t', 'seed-zstd', '-o', 'beginning', '-e', '-q'], 15_000);
  await runFor('kcat', ['-b', bootstrap, '-G', 'seed-kcat-group', 'seed-none', '-o', 'beginning', '-e', '-q'], 8_000);
}

async function kafkajsClients(bootstrap: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'torture-seed', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'seed-kjs', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }, { topic: 'seed-kjs-compact', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: 2, name: 'seed-kjs' }, { type: 4, name: '1' }] });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'seed-kjs', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'seed-kjs', count: 4 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      await producer.send({ topic: 'seed-kjs', compression, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, headers: { h: `x${i}` } })) });
    }
    await producer.send({ topic: 'seed-kjs-compact', messages: [{ key: 'a', value: '1' }, { key: 'a', value: null }] });
    await producer.disconnect();
    const txn = kafka.producer({ transactionalId: 'seed-txn', idempotent: true, maxInFlightRequests: 1 });
    await txn.connect();
    const tx = await txn.transaction();
    await tx.send({ topic: 'seed-kjs', messages: [{ key: 't', value: 'in a transaction' }] });
    await tx.sendOffsets({ consumerGroupId: 'seed-kjs-group', topics: [{ topic: 'seed-kjs', partitions: [{ partition: 0, offset: '1' }] }] });
    await tx.commit();
    await txn.disconnect();
    const consumer = kafka.consumer({ groupId: 'seed-kjs-group', heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'seed-kjs', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 8000);
      void consumer.run({
        eachMessage: async () => {
          if (++seen >= 30) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    await admin.fetchTopicOffsets('seed-kjs');
    await admin.fetchTopicOffsetsByTimestamp('seed-kjs', Date.now() - 60_000);
    await admin.listGroups();
    await admin.describeGroups(['seed-kjs-group']);
    await admin.fetchOffsets({ groupId: 'seed-kjs-group', topics: ['seed-kjs'] });
    await admin.deleteTopicRecords({ topic: 'seed-kjs', partitions: [{ partition: 1, offset: '1' }] });
    await admin.describeCluster();
    await admin.createTopics({ topics: [{ topic: 'seed-kjs-deleted' }] });
    await admin.deleteTopics({ topics: ['seed-kjs-deleted'] });
  } finally {
    await admin.disconnect();
  }
}

async function pythonClients(bootstrap: string): Promise<void> {
  const records = Array.from({ length: 40 }, (_, i) => JSON.stringify({ key: Buffer.from(`k${i}`).toString('base64'), value: Buffer.from(`v${i}`).toString('base64'), partition: 0, headers: [['h', Buffer.from('v').toString('base64')]] })).join('\n');
  const py = (script: string, args: string[], input = '') => runFor(PYTHON, [`${PY_DIR}/${script}`, ...args], 30_000, input);
  await py('kp_produce.py', [bootstrap, 'seed-py', '--compression', 'gzip'], records);
  await py('ck_produce.py', [bootstrap, 'seed-py', '--compression', 'lz4', '--idempotent'], records);
  await py('kp_read.py', [bootstrap, 'seed-py', '1']);
  await py('ck_read.py', [bootstrap, 'seed-py', '1']);
}

/** One request per API and version the broker advertises, from our definitions' samples. */
async function sampleFrames(port: number): Promise<Buffer[]> {
  const c = await RawClient.connect(port);
  const advertised = await c.request(ApiVersions, 3, { clientSoftwareName: 'torture', clientSoftwareVersion: '1' });
  c.close();
  const defs = new Map(loadDefinitions(fileURLToPath(new URL('../../../protocol/messages', import.meta.url))).map((d) => [d.key, d]));
  const out: Buffer[] = [];
  for (const k of advertised.apiKeys) {
    const def = defs.get(k.apiKey);
    const codec = apiCodecs.get(k.apiKey) as ApiCodec<unknown, unknown> | undefined;
    if (!def || !codec) continue;
    for (let v = k.minVersion; v <= k.maxVersion; v++) {
      out.push(requestFrame(codec, v, out.length + 1, sampleMessage(def.request.root, v, { nulls: false, arrayLength: 2 }), 'torture-sample'));
    }
  }
  return out;
}

export async function captureSeeds(brokerPort: number, log: (line: string) => void): Promise<Seeds> {
  const seeds: Seeds = { frames: [], bySource: new Map(), failures: [] };
  let source = '';
  const proxy = await startFaultProxy(brokerPort, () => false, (frame) => {
    seeds.frames.push(Buffer.from(frame));
    seeds.bySource.set(source, (seeds.bySource.get(source) ?? 0) + 1);
  });
  const bootstrap = `127.0.0.1:${proxy.port}`;
  const clients: Array<[string, () => Promise<void>]> = [
    ['kcat', () => kcatClients(bootstrap)],
    ['kafkajs', () => kafkajsClients(bootstrap)],
    ['python', () => pythonClients(bootstrap)],
  ];
  try {
    for (const [name, runClients] of clients) {
      source = name;
      const started = Date.now();
      await runClients().catch((e: Error) => seeds.failures.push(`${name}: ${e.message}`));
      log(`  captured ${seeds.bySource.get(name) ?? 0} frames from ${name} in ${Date.now() - started} ms`);
    }
  } finally {
    await proxy.close();
  }
  const samples = await sampleFrames(brokerPort);
  seeds.frames.push(...samples);
  seeds.bySource.set('samples', samples.length);
  return seeds;
}
