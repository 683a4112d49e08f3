/**
 * What security costs (issue 13, item 7), Sluice beside Apache Kafka 4.1.1 in one interleaved run:
 * produce and consume throughput and broker CPU per GB over the PLAINTEXT, SSL and SASL_SSL
 * listeners of one broker each; and SCRAM authentications per second.
 *
 *   npm run build && node dist/bench/security.js [flags]
 *
 *   --systems sluice,kafka   which brokers (default both; the ratio columns need both)
 *   --records N        100 B records per kcat run (default 1,000,000; --quick 50,000)
 *   --rounds N         rounds; each figure is the median (default 3; --quick 1)
 *   --auth-seconds S   length of each authentication run (default 5; --quick 1)
 *   --auth-clients N   connections authenticating at once (default 8)
 *   --quick            a smoke run whose figures compare nothing
 *
 * Method:
 * - Each broker is the one compat-tests/security.test.ts runs against (compat-tests/security-setup.ts):
 *   the same server.properties with PLAINTEXT, SSL (client certificates required), SASL_SSL (a
 *   PKCS12 key store) and SASL_PLAINTEXT listeners, certificates made with openssl (RSA 2048; TLS
 *   1.3 is negotiated), SCRAM users added at format time; Sluice started with `sluice start
 *   --config`, Kafka as a KRaft combined node with 512 MiB of heap (reference/kafka.ts). Both run
 *   for the whole run, idle while the other is measured; every case goes through them in turn, the
 *   first rotating by round.
 * - Throughput: `kcat -P` of --records 100 B records into a fresh 3-partition topic (acks=all,
 *   bench/common.ts's producer settings), then `kcat -C` of them all, over the listener of the
 *   case: SSL with the client certificate, SASL_SSL with PLAIN (Debian's librdkafka 2.0.2 cannot
 *   log in with SCRAM to Kafka 4.x, nor to Sluice, which checks SCRAM as Kafka does; once
 *   authenticated, a connection costs the same whatever the mechanism). End offsets are checked
 *   after each produce. MB/s counts record values. Broker CPU: user + system seconds of the broker
 *   process across the run (/proc/<pid>/stat), per GB of record values.
 * - Authentications: --auth-clients loops, each opening a connection, SaslHandshake v1 and the two
 *   SaslAuthenticate round trips of SCRAM (compat-tests' ScramSaslClient), then closing it, for
 *   --auth-seconds; on SASL_PLAINTEXT (the SCRAM exchange alone) and SASL_SSL (plus a TLS
 *   handshake per connection). The client caches its salted password (as a long-lived client
 *   would), so the figure is the broker's rate, not PBKDF2's on the client; client and broker share
 *   the machine's cores all the same. Broker CPU per authentication is shown too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../compat-tests/harness.js';
import { RawClient } from '../compat-tests/raw-client.js';
import { makeCerts, startSecureBroker, USERS, type Certs, type SecureBroker } from '../compat-tests/security-setup.js';
import { ScramSaslClient } from '../src/auth/scram-client.js';
import { SaslAuthenticate, SaslHandshake } from '../src/protocol/generated/index.js';
import { KCAT_PRODUCE_CONF, createTopic, endOffsets, fmtInt, hasFlag, listFlag, machineLine, median, numFlag, rotated, stopClientsOnSignal, timed, writeRecordsFile } from './common.js';
import { cpuSeconds } from './peers.js';

const QUICK = hasFlag('quick');
const SYSTEMS = listFlag('systems', ['sluice', 'kafka']) as Array<'sluice' | 'kafka'>;
const RECORDS = numFlag('records', QUICK ? 50_000 : 1_000_000);
const ROUNDS = numFlag('rounds', QUICK ? 1 : 3);
const AUTH_SECONDS = numFlag('auth-seconds', QUICK ? 1 : 5);
const AUTH_CLIENTS = numFlag('auth-clients', 8);
const PARTITIONS = 3;
const CONSUME_CONF = ['-X', 'queued.min.messages=2000000', '-X', 'queued.max.messages.kbytes=2097151'];

type Mode = 'PLAINTEXT' | 'SSL' | 'SASL_SSL';
const MODES: readonly Mode[] = ['PLAINTEXT', 'SSL', 'SASL_SSL'];
const AUTH_CASES = [
  { label: 'SCRAM-SHA-256, SASL_PLAINTEXT', tls: false, mechanism: 'SCRAM-SHA-256' },
  { label: 'SCRAM-SHA-512, SASL_PLAINTEXT', tls: false, mechanism: 'SCRAM-SHA-512' },
  { label: 'SCRAM-SHA-256, SASL_SSL (a TLS handshake per connection)', tls: true, mechanism: 'SCRAM-SHA-256' },
] as const;

interface Run {
  produceMs: number;
  consumeMs: number;
  produceCpu: number;
  consumeCpu: number;
}

function portOf(b: SecureBroker, mode: Mode): number {
  return mode === 'PLAINTEXT' ? b.ports.plaintext : mode === 'SSL' ? b.ports.ssl : b.ports.saslSsl;
}

function kcatSecurity(mode: Mode, certs: Certs): string[] {
  if (mode === 'PLAINTEXT') return [];
  const tls = ['-X', `ssl.ca.location=${certs.caPem}`];
  if (mode === 'SSL') return ['-X', 'security.protocol=SSL', ...tls, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`];
  return ['-X', 'security.protocol=SASL_SSL', ...tls, '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=admin', '-X', `sasl.password=${USERS.admin}`];
}

async function main(): Promise<void> {
  requireTool('kcat');
  stopClientsOnSignal();
  const work = mkdtempSync(join(tmpdir(), 'sluice-bench-security-'));
  const certs = makeCerts(join(work, 'certs'));
  const brokers = new Map<'sluice' | 'kafka', SecureBroker>();
  try {
    for (const system of SYSTEMS) brokers.set(system, await startSecureBroker(join(work, system), certs, { 'group.initial.rebalance.delay.ms': '0' }, system));
    const recordsFile = join(work, 'records');
    writeRecordsFile(recordsFile, RECORDS, 100);
    const results = new Map<string, Run[]>();
    let topicNo = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of rotated(MODES, round)) {
        for (const system of rotated(SYSTEMS, round)) {
          const b = brokers.get(system)!;
          const topic = `sec-${mode.toLowerCase()}-${topicNo++}`;
          await createTopic(b.ports.plaintext, topic, PARTITIONS);
          const bootstrap = `127.0.0.1:${portOf(b, mode)}`;
          const cpu0 = cpuSeconds(b.pid);
          const p = await timed('kcat', ['-b', bootstrap, '-P', '-t', topic, '-l', recordsFile, '-X', 'acks=all', ...KCAT_PRODUCE_CONF, ...kcatSecurity(mode, certs)]);
          const cpu1 = cpuSeconds(b.pid);
          if (p.code !== 0) throw new Error(`kcat produce to ${system} over ${mode} failed: ${p.stderr}`);
          const ends = await endOffsets(b.ports.plaintext, topic, PARTITIONS);
          const total = ends.reduce((a, e) => a + Number(e), 0);
          if (total !== RECORDS) throw new Error(`${system} ${topic}: ${total} records written, expected ${RECORDS}`);
          const c = await timed('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-q', '-c', String(RECORDS), '-f', '%o\n', ...CONSUME_CONF, ...kcatSecurity(mode, certs)], { stdoutFile: '/dev/null' });
          const cpu2 = cpuSeconds(b.pid);
          if (c.code !== 0) throw new Error(`kcat consume from ${system} over ${mode} failed: ${c.stderr}`);
          const key = `${system}/${mode}`;
          results.set(key, [...(results.get(key) ?? []), { produceMs: p.ms, consumeMs: c.ms, produceCpu: cpu1 - cpu0, consumeCpu: cpu2 - cpu1 }]);
          process.stderr.write(`round ${round + 1} ${system} ${mode}: produce ${fmtInt(p.ms)} ms, consume ${fmtInt(c.ms)} ms\n`);
        }
      }
    }
    const ca = readFileSync(certs.caPem, 'utf8');
    const auths = new Map<string, { perSecond: number; cpuMsPerAuth: number }>();
    for (const a of AUTH_CASES) {
      for (const system of SYSTEMS) {
        const b = brokers.get(system)!;
        const cpu0 = cpuSeconds(b.pid);
        const n = await authenticateFor(a.tls ? b.ports.saslSsl : b.ports.saslPlaintext, a.tls, a.mechanism, ca, AUTH_SECONDS * 1000, AUTH_CLIENTS);
        const cpu1 = cpuSeconds(b.pid);
        auths.set(`${system}/${a.label}`, { perSecond: n / AUTH_SECONDS, cpuMsPerAuth: ((cpu1 - cpu0) * 1000) / Math.max(1, n) });
      }
    }
    print(results, auths);
  } finally {
    for (const b of brokers.values()) await b.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function print(results: Map<string, Run[]>, auths: Map<string, { perSecond: number; cpuMsPerAuth: number }>): void {
  const gb = (RECORDS * 100) / 1e9;
  const mbps = (ms: number): number => (RECORDS * 100) / 1e6 / (ms / 1000);
  const row = (system: string, mode: Mode) => {
    const r = results.get(`${system}/${mode}`)!;
    return {
      produce: mbps(median(r.map((x) => x.produceMs))),
      consume: mbps(median(r.map((x) => x.consumeMs))),
      produceCpu: median(r.map((x) => x.produceCpu)) / gb,
      consumeCpu: median(r.map((x) => x.consumeCpu)) / gb,
    };
  };
  const both = SYSTEMS.length === 2;
  console.log(`\n${machineLine(true)}`);
  console.log(`${fmtInt(RECORDS)} records of 100 B, ${PARTITIONS} partitions, acks=all, medians of ${ROUNDS} round(s)\n`);
  console.log(`| broker, listener | produce MB/s | vs its PLAINTEXT | consume MB/s | vs its PLAINTEXT | broker CPU s/GB produce | consume |${both ? ' Sluice/Kafka produce | consume |' : ''}`);
  console.log(`|---|---|---|---|---|---|---|${both ? '---|---|' : ''}`);
  for (const mode of MODES) {
    for (const system of SYSTEMS) {
      const r = row(system, mode);
      const plain = row(system, 'PLAINTEXT');
      const ratio = both && system === 'sluice' ? ` ${(r.produce / row('kafka', mode).produce).toFixed(2)}x | ${(r.consume / row('kafka', mode).consume).toFixed(2)}x |` : both ? ' | |' : '';
      console.log(
        `| ${system === 'sluice' ? 'Sluice' : 'Kafka'}, ${mode}${mode === 'SASL_SSL' ? ' (PLAIN)' : mode === 'SSL' ? ' (client certificate)' : ''} | ${r.produce.toFixed(1)} | ${(r.produce / plain.produce).toFixed(2)}x | ${r.consume.toFixed(1)} | ${(r.consume / plain.consume).toFixed(2)}x | ${r.produceCpu.toFixed(1)} | ${r.consumeCpu.toFixed(1)} |${ratio}`,
      );
    }
  }
  console.log(`\nSCRAM authentications, ${AUTH_CLIENTS} connections at once, ${AUTH_SECONDS} s each (a new connection per authentication):\n`);
  console.log(`| mechanism, listener | ${SYSTEMS.map((s) => `${s === 'sluice' ? 'Sluice' : 'Kafka'} auth/s | CPU ms each`).join(' | ')} |${both ? ' Sluice/Kafka |' : ''}`);
  console.log(`|---|${SYSTEMS.map(() => '---|---').join('|')}|${both ? '---|' : ''}`);
  for (const a of AUTH_CASES) {
    const cells = SYSTEMS.map((s) => auths.get(`${s}/${a.label}`)!);
    const ratio = both ? ` ${(cells[0]!.perSecond / cells[1]!.perSecond).toFixed(2)}x |` : '';
    console.log(`| ${a.label} | ${cells.map((c) => `${fmtInt(c.perSecond)} | ${c.cpuMsPerAuth.toFixed(2)}`).join(' | ')} |${ratio}`);
  }
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
  const c = tls ? await RawClient.connectTls(port, { ca }) : await RawClient.connect(port);
  try {
    const hs = await c.request(SaslHandshake, 1, { mechanism });
    if (hs.errorCode !== 0) throw new Error(`SaslHandshake: error ${hs.errorCode}`);
    const client = new ScramSaslClient(mechanism, 'alice', USERS.alice, randomBytes(18).toString('base64url'), salted);
    const a1 = await c.request(SaslAuthenticate, 2, { authBytes: client.first() });
    if (a1.errorCode !== 0) throw new Error(`SCRAM server-first: error ${a1.errorCode}`);
    const a2 = await c.request(SaslAuthenticate, 2, { authBytes: client.final(a1.authBytes) });
    if (a2.errorCode !== 0 || !client.verify(a2.authBytes)) throw new Error(`SCRAM final: error ${a2.errorCode}`);
  } finally {
    c.close();
  }
}

await main();
