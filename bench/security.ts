/**
 * What security costs (issue 13, item 7): produce and consume throughput and broker CPU per GB
 * over PLAINTEXT, SSL and SASL_SSL listeners of one Sluice broker, in one interleaved run; and
 * SCRAM authentications per second. kcat authenticates with PLAIN on SASL_SSL: Debian's
 * librdkafka 2.0.2 cannot log in with SCRAM to Kafka 4.x, nor so to Sluice (README, Security);
 * once a connection is authenticated the mechanism costs nothing more.
 *
 *   npm run build && node dist/bench/security.js [flags]
 *
 *   --records N        100 B records per kcat run (default 1,000,000; --quick 50,000)
 *   --rounds N         rounds; each figure is the median (default 3; --quick 1)
 *   --auth-seconds S   length of each authentication run (default 5; --quick 1)
 *   --auth-clients N   connections authenticating at once (default 8)
 *   --quick            a smoke run whose figures compare nothing
 *
 * Method:
 * - One `sluice start` process with four listeners on loopback: PLAINTEXT, SSL, SASL_SSL and
 *   SASL_PLAINTEXT, the certificates from `sluice certs` (RSA 2048, TLS 1.3 negotiated), SCRAM
 *   credentials from `sluice format --add-scram` (4096 iterations). The same broker serves every
 *   case, so the only difference is the listener.
 * - Throughput: `kcat -P` of --records 100 B records into a fresh 3-partition topic (acks=all,
 *   bench/common.ts's producer settings), then `kcat -C` of them all, each over the listener of
 *   the case; the cases rotate by round. End offsets are checked after each produce. MB/s counts
 *   record values. Broker CPU: user + system seconds of the broker process across the run
 *   (/proc/<pid>/stat), per GB of record values.
 * - Authentications: --auth-clients loops, each opening a connection, SaslHandshake v1 and the two
 *   SaslAuthenticate round trips of SCRAM-SHA-256 (or -512), then closing it, for --auth-seconds;
 *   on SASL_PLAINTEXT (the SCRAM exchange alone) and SASL_SSL (plus a TLS handshake per
 *   connection). The client caches its salted password (as a long-lived client would), so the
 *   figure is the broker's rate, not PBKDF2's on the client; it shares the machine's cores with
 *   the broker all the same. Broker CPU per authentication is shown too.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { CLI, freePortRun, requireTool, spawnBroker } from '../compat-tests/harness.js';
import { decodeResponse, requestFrame } from '../compat-tests/raw-client.js';
import type { ApiCodec } from '../src/protocol/api-codec.js';
import { SaslAuthenticate, SaslHandshake } from '../src/protocol/generated/index.js';
import { writeDevCerts } from '../src/net/dev-certs.js';
import { ScramSaslClient } from '../src/auth/scram-client.js';
import { KCAT_PRODUCE_CONF, createTopic, endOffsets, fmtInt, hasFlag, machineLine, median, numFlag, rotated, stopClientsOnSignal, timed, writeRecordsFile } from './common.js';
import { cpuSeconds } from './peers.js';

const QUICK = hasFlag('quick');
const RECORDS = numFlag('records', QUICK ? 50_000 : 1_000_000);
const ROUNDS = numFlag('rounds', QUICK ? 1 : 3);
const AUTH_SECONDS = numFlag('auth-seconds', QUICK ? 1 : 5);
const AUTH_CLIENTS = numFlag('auth-clients', 8);
const PARTITIONS = 3;
const USER = 'bench';
const PASSWORD = 'bench-secret';
const CONSUME_CONF = ['-X', 'queued.min.messages=2000000', '-X', 'queued.max.messages.kbytes=2097151'];

type Mode = 'PLAINTEXT' | 'SSL' | 'SASL_SSL';
const MODES: readonly Mode[] = ['PLAINTEXT', 'SSL', 'SASL_SSL'];

async function main(): Promise<void> {
  requireTool('kcat');
  stopClientsOnSignal();
  const work = mkdtempSync(join(tmpdir(), 'sluice-bench-security-'));
  const certs = writeDevCerts({ outDir: join(work, 'certs') });
  const dataDir = join(work, 'data');
  const base = await freePortRun(4);
  const ports: Record<Mode | 'SASL_PLAINTEXT', number> = { PLAINTEXT: base, SSL: base + 1, SASL_SSL: base + 2, SASL_PLAINTEXT: base + 3 };
  const format = spawnSync(process.execPath, [CLI, 'format', '--data-dir', dataDir, '-S', `SCRAM-SHA-256=[name=${USER},password=${PASSWORD}]`, '-S', `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`format failed: ${format.stderr}`);
  const props = [
    `listeners=PLAINTEXT://127.0.0.1:${ports.PLAINTEXT},SSL://127.0.0.1:${ports.SSL},SASL_SSL://127.0.0.1:${ports.SASL_SSL},SASL_PLAINTEXT://127.0.0.1:${ports.SASL_PLAINTEXT}`,
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    ...['sasl_ssl', 'sasl_plaintext'].map((l) => `listener.name.${l}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PASSWORD}";`),
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${certs.files['server.pem']}`,
    'group.initial.rebalance.delay.ms=0',
  ];
  const broker = await spawnBroker({ dataDir, port: ports.PLAINTEXT, args: props.flatMap((p) => ['--override', p]) });
  const security: Record<Mode, string[]> = {
    PLAINTEXT: [],
    SSL: ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.files['ca.pem']}`],
    SASL_SSL: ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.files['ca.pem']}`, '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${USER}`, '-X', `sasl.password=${PASSWORD}`],
  };
  try {
    const recordsFile = join(work, 'records');
    writeRecordsFile(recordsFile, RECORDS, 100);
    const results = new Map<Mode, Array<{ produceMs: number; consumeMs: number; produceCpu: number; consumeCpu: number }>>(MODES.map((m) => [m, []]));
    let topicNo = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of rotated(MODES, round)) {
        const topic = `sec-${mode.toLowerCase()}-${topicNo++}`;
        await createTopic(ports.PLAINTEXT, topic, PARTITIONS);
        const bootstrap = `127.0.0.1:${ports[mode]}`;
        const cpu0 = cpuSeconds(broker.pid);
        const p = await timed('kcat', ['-b', bootstrap, '-P', '-t', topic, '-l', recordsFile, '-X', 'acks=all', ...KCAT_PRODUCE_CONF, ...security[mode]]);
        const cpu1 = cpuSeconds(broker.pid);
        if (p.code !== 0) throw new Error(`kcat produce over ${mode} failed: ${p.stderr}`);
        const ends = await endOffsets(ports.PLAINTEXT, topic, PARTITIONS);
        const total = ends.reduce((a, b) => a + Number(b), 0);
        if (total !== RECORDS) throw new Error(`${topic}: ${total} records written, expected ${RECORDS}`);
        const c = await timed('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-q', '-c', String(RECORDS), '-f', '%o\n', ...CONSUME_CONF, ...security[mode]], { stdoutFile: '/dev/null' });
        const cpu2 = cpuSeconds(broker.pid);
        if (c.code !== 0) throw new Error(`kcat consume over ${mode} failed: ${c.stderr}`);
        results.get(mode)!.push({ produceMs: p.ms, consumeMs: c.ms, produceCpu: cpu1 - cpu0, consumeCpu: cpu2 - cpu1 });
        process.stderr.write(`round ${round + 1} ${mode}: produce ${fmtInt(p.ms)} ms, consume ${fmtInt(c.ms)} ms\n`);
      }
    }
    const auths: Array<{ label: string; perSecond: number; cpuMsPerAuth: number }> = [];
    for (const [label, port, tls, mechanism] of [
      ['SCRAM-SHA-256, SASL_PLAINTEXT', ports.SASL_PLAINTEXT, false, 'SCRAM-SHA-256'],
      ['SCRAM-SHA-512, SASL_PLAINTEXT', ports.SASL_PLAINTEXT, false, 'SCRAM-SHA-512'],
      ['SCRAM-SHA-256, SASL_SSL', ports.SASL_SSL, true, 'SCRAM-SHA-256'],
    ] as const) {
      const cpu0 = cpuSeconds(broker.pid);
      const n = await authenticateFor(port, tls, mechanism, certs.caCertPem, AUTH_SECONDS * 1000, AUTH_CLIENTS);
      const cpu1 = cpuSeconds(broker.pid);
      auths.push({ label, perSecond: n / AUTH_SECONDS, cpuMsPerAuth: ((cpu1 - cpu0) * 1000) / Math.max(1, n) });
    }
    print(results, auths);
  } finally {
    await broker.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function print(results: Map<Mode, Array<{ produceMs: number; consumeMs: number; produceCpu: number; consumeCpu: number }>>, auths: Array<{ label: string; perSecond: number; cpuMsPerAuth: number }>): void {
  const gb = (RECORDS * 100) / 1e9;
  const mbps = (ms: number): number => (RECORDS * 100) / 1e6 / (ms / 1000);
  const row = (mode: Mode) => {
    const r = results.get(mode)!;
    return {
      produce: mbps(median(r.map((x) => x.produceMs))),
      consume: mbps(median(r.map((x) => x.consumeMs))),
      produceCpu: median(r.map((x) => x.produceCpu)) / gb,
      consumeCpu: median(r.map((x) => x.consumeCpu)) / gb,
    };
  };
  const plain = row('PLAINTEXT');
  console.log(`\n${machineLine(true)}`);
  console.log(`${fmtInt(RECORDS)} records of 100 B, ${PARTITIONS} partitions, acks=all, medians of ${ROUNDS} round(s)\n`);
  console.log('| listener | produce MB/s | vs PLAINTEXT | consume MB/s | vs PLAINTEXT | broker CPU s/GB produce | consume |');
  console.log('|---|---|---|---|---|---|---|');
  for (const mode of MODES) {
    const r = row(mode);
    console.log(`| ${mode}${mode === 'SASL_SSL' ? ' (PLAIN)' : ''} | ${r.produce.toFixed(1)} | ${(r.produce / plain.produce).toFixed(2)}x | ${r.consume.toFixed(1)} | ${(r.consume / plain.consume).toFixed(2)}x | ${r.produceCpu.toFixed(1)} | ${r.consumeCpu.toFixed(1)} |`);
  }
  console.log(`\nSCRAM authentications, ${AUTH_CLIENTS} connections at once, ${AUTH_SECONDS} s each (a new connection per authentication):\n`);
  console.log('| mechanism, listener | authentications/s | broker CPU ms per authentication |');
  console.log('|---|---|---|');
  for (const a of auths) console.log(`| ${a.label} | ${fmtInt(a.perSecond)} | ${a.cpuMsPerAuth.toFixed(2)} |`);
}

/** Connections authenticated with SCRAM in `durationMs` by `clients` loops. */
async function authenticateFor(port: number, tls: boolean, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', ca: string, durationMs: number, clients: number): Promise<number> {
  const until = performance.now() + durationMs;
  const salted = new Map<string, Buffer>();
  let done = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < until) {
      await authenticateOnce(port, tls, mechanism, ca, salted);
      done++;
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return done;
}

async function authenticateOnce(port: number, tls: boolean, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', ca: string, salted: Map<string, Buffer>): Promise<void> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s: Socket = tls ? tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(s)) : netConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  const frames = frameReader(socket);
  let correlation = 1;
  const call = async <Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> => {
    const id = correlation++;
    socket.write(requestFrame(codec, version, id, body));
    return decodeResponse(codec, version, await frames(), id);
  };
  try {
    const hs = await call(SaslHandshake, 1, { mechanism });
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake: error ${hs.errorCode}`);
    const client = new ScramSaslClient(mechanism, USER, PASSWORD, randomBytes(18).toString('base64url'), salted);
    const a1 = await call(SaslAuthenticate, 2, { authBytes: client.first() });
    if (a1.errorCode !== 0) throw new Error(`SCRAM server-first: error ${a1.errorCode}`);
    const a2 = await call(SaslAuthenticate, 2, { authBytes: client.final(a1.authBytes) });
    if (a2.errorCode !== 0 || !client.verify(a2.authBytes)) throw new Error(`SCRAM final: error ${a2.errorCode}`);
  } finally {
    socket.destroy();
  }
}

/** The next size-prefixed frame of a socket, each call. */
function frameReader(socket: Socket): () => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  const waiting: Array<(b: Buffer) => void> = [];
  const frames: Buffer[] = [];
  socket.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const n = buffered.readInt32BE(0);
      const f = buffered.subarray(4, 4 + n);
      buffered = buffered.subarray(4 + n);
      const w = waiting.shift();
      if (w) w(f);
      else frames.push(f);
    }
  });
  return () => new Promise((resolve, reject) => {
    const f = frames.shift();
    if (f) return resolve(f);
    socket.once('close', () => reject(new Error('connection closed')));
    waiting.push(resolve);
  });
}

await main();
