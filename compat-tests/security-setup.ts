/**
 * The production-like security setup the security compat tests share (issue 13): a test CA and
 * its server and client certificates (openssl and keytool, as an operator would make them), and
 * one server.properties with four listeners — PLAINTEXT, SSL with client certificates required,
 * SASL_SSL and SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER — written for Sluice
 * (`sluice start --config`) or for Apache Kafka 4.1.1 (reference/kafka.ts), with the SCRAM users
 * added at format time the way `kafka-storage format --add-scram` does it.
 *
 * The same tests run against either broker: SECURITY_TARGET=kafka points security.test.ts at
 * Apache Kafka, so every expectation is first shown to hold for Kafka.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, freePortRun, until } from './harness.js';
import { newClusterId, startKafka, type KafkaProcess } from './reference/kafka.js';

export const STORE_PASSWORD = 'test-store-secret';

/** Where the certificate files are; every path is absolute. */
export interface Certs {
  dir: string;
  caPem: string;
  /** The server's PKCS#8 key and certificate in one PEM file (ssl.keystore.type=PEM). */
  serverPem: string;
  /** The same key and certificate in a PKCS#12 store, password STORE_PASSWORD. */
  serverP12: string;
  clientKey: string;
  clientCert: string;
  /** Client key and certificate in one PEM file (Java's PEM keystore). */
  clientPem: string;
  clientP12: string;
  /** The CA as a trusted entry of a PKCS#12 store (made by keytool so Java trusts it). */
  truststoreP12: string;
  /** The subject of the client certificate, as Kafka's SSL principal prints it. */
  clientPrincipal: string;
}

function sh(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate (CN=`clientCn`). */
export function makeCerts(dir: string, clientCn = 'alice'): Certs {
  mkdirSync(dir, { recursive: true });
  const days = ['-days', '30'];
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Sluice Test CA', ...days, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const leaf = (name: string, subj: string, ext: string): void => {
    sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subj], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    sh('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}-cert.pem`, ...days, '-extfile', `${name}.ext`], dir);
    writeFileSync(join(dir, `${name}.pem`), readFileSync(join(dir, `${name}-key.pem`), 'utf8') + readFileSync(join(dir, `${name}-cert.pem`), 'utf8'));
    sh('openssl', ['pkcs12', '-export', '-in', `${name}-cert.pem`, '-inkey', `${name}-key.pem`, '-certfile', 'ca.pem', '-name', name, '-out', `${name}.p12`, '-passout', `pass:${STORE_PASSWORD}`], dir);
  };
  leaf('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  leaf('client', `/O=Sluice Tests/CN=${clientCn}`, 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  sh('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', '-keystore', 'truststore.p12', '-storetype', 'PKCS12', '-storepass', STORE_PASSWORD], dir);
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    serverPem: join(dir, 'server.pem'),
    serverP12: join(dir, 'server.p12'),
    clientKey: join(dir, 'client-key.pem'),
    clientCert: join(dir, 'client-cert.pem'),
    clientPem: join(dir, 'client.pem'),
    clientP12: join(dir, 'client.p12'),
    truststoreP12: join(dir, 'truststore.p12'),
    clientPrincipal: `User:CN=${clientCn},O=Sluice Tests`,
  };
}

/** The SCRAM users both brokers get at format time, and the PLAIN users of the JAAS configs. */
export const USERS = { admin: 'admin-secret', alice: 'alice-secret' } as const;
export const SCRAM_USERS: ReadonlyArray<string> = [
  `SCRAM-SHA-256=[name=alice,password=${USERS.alice}]`,
  `SCRAM-SHA-512=[name=alice,password=${USERS.alice}]`,
  `SCRAM-SHA-256=[name=admin,password=${USERS.admin}]`,
  `SCRAM-SHA-512=[name=admin,password=${USERS.admin}]`,
];

export interface Ports {
  plaintext: number;
  ssl: number;
  saslSsl: number;
  saslPlaintext: number;
  /** SASL_REAUTH, a SASL_PLAINTEXT listener of its own name with connections.max.reauth.ms=REAUTH_MS. */
  saslReauth: number;
}

/** The session lifetime on the SASL_REAUTH listener (KIP-368 re-authentication). */
export const REAUTH_MS = 3000;

/** Listener and security settings as an operator writes them in server.properties. */
export function securityProperties(ports: Ports, certs: Certs, extra: Record<string, string> = {}): Record<string, string> {
  const plainJaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${USERS.admin}" user_admin="${USERS.admin}" user_alice="${USERS.alice}";`;
  const scramJaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const oauthJaas = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";';
  const endpoints = `PLAINTEXT://127.0.0.1:${ports.plaintext},SSL://127.0.0.1:${ports.ssl},SASL_SSL://127.0.0.1:${ports.saslSsl},SASL_PLAINTEXT://127.0.0.1:${ports.saslPlaintext},SASL_REAUTH://127.0.0.1:${ports.saslReauth}`;
  const props: Record<string, string> = {
    listeners: endpoints,
    'advertised.listeners': endpoints,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_REAUTH:SASL_PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.name.sasl_reauth.connections.max.reauth.ms': String(REAUTH_MS),
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    // The broker's own certificate: PEM (key and chain in one file) by default, PKCS12 on SASL_SSL.
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.serverPem,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caPem,
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.sasl_ssl.ssl.keystore.type': 'PKCS12',
    'listener.name.sasl_ssl.ssl.keystore.location': certs.serverP12,
    'listener.name.sasl_ssl.ssl.keystore.password': STORE_PASSWORD,
    'listener.name.sasl_ssl.ssl.key.password': STORE_PASSWORD,
  };
  for (const l of ['sasl_ssl', 'sasl_plaintext', 'sasl_reauth']) {
    props[`listener.name.${l}.plain.sasl.jaas.config`] = plainJaas;
    props[`listener.name.${l}.scram-sha-256.sasl.jaas.config`] = scramJaas;
    props[`listener.name.${l}.scram-sha-512.sasl.jaas.config`] = scramJaas;
    props[`listener.name.${l}.oauthbearer.sasl.jaas.config`] = oauthJaas;
  }
  return { ...props, ...extra };
}

/** One broker with the four listeners, whichever implementation. */
export interface SecureBroker {
  readonly kind: 'sluice' | 'kafka';
  readonly ports: Ports;
  readonly pid: number;
  log(): string;
  stop(): Promise<void>;
}

export function target(): 'sluice' | 'kafka' {
  return process.env.SECURITY_TARGET === 'kafka' ? 'kafka' : 'sluice';
}

/**
 * Starts the broker `kind` names (by default SECURITY_TARGET's) with `securityProperties` plus `extra`. Sluice is
 * formatted with `sluice format --add-scram` and started with `sluice start --config`, as a user
 * runs it; Kafka is formatted with its StorageTool's --add-scram.
 */
export async function startSecureBroker(dir: string, certs: Certs, extra: Record<string, string> = {}, kind: 'sluice' | 'kafka' = target()): Promise<SecureBroker> {
  const base = await freePortRun(5);
  const ports: Ports = { plaintext: base, ssl: base + 1, saslSsl: base + 2, saslPlaintext: base + 3, saslReauth: base + 4 };
  const props = securityProperties(ports, certs, extra);
  if (kind === 'kafka') {
    const { listeners, 'advertised.listeners': advertised, ...rest } = props;
    const k: KafkaProcess = await startKafka({
      port: ports.plaintext,
      overrides: {
        ...rest,
        listeners: listeners!,
        'advertised.listeners': advertised!,
        'listener.security.protocol.map': `${props['listener.security.protocol.map']},CONTROLLER:PLAINTEXT`,
      },
      formatArgs: SCRAM_USERS.flatMap((s) => ['--add-scram', s]),
    });
    return { kind: 'kafka', ports, pid: k.pid, log: () => k.log(), stop: () => k.stop() };
  }
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'sluice-data');
  const propsFile = join(dir, 'server.properties');
  writeFileSync(
    propsFile,
    Object.entries({ 'node.id': '1', 'process.roles': 'broker,controller', 'log.dirs': dataDir, ...props })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  // The same command line as kafka-storage format -t <id> -c server.properties --add-scram ...
  const fmt = spawnSync(process.execPath, [CLI, 'format', '-t', newClusterId(), '-c', propsFile, ...SCRAM_USERS.flatMap((s) => ['--add-scram', s])], { encoding: 'utf8' });
  if (fmt.status !== 0) throw new Error(`sluice format --add-scram failed (exit ${fmt.status}):\n${fmt.stdout}${fmt.stderr}`);
  const proc = spawn(process.execPath, [CLI, 'start', '--config', propsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-200_000)));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-200_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  await until('sluice ready', () => /sluice ready on/.test(out) || proc.exitCode !== null, 30000);
  if (!/sluice ready on/.test(out)) {
    await stop();
    throw new Error(`sluice start --config did not get ready:\n${out.slice(-4000)}`);
  }
  return { kind: 'sluice', ports, pid: proc.pid!, log: () => out, stop };
}

/**
 * By hand: `[SECURITY_TARGET=kafka] node dist/compat-tests/security-setup.js DIR` makes the
 * certificates in DIR, starts the broker and prints its ports; Ctrl-C stops it.
 */
async function main(dir: string): Promise<void> {
  const certs = makeCerts(join(dir, 'certs'));
  const b = await startSecureBroker(dir, certs);
  process.stdout.write(`${JSON.stringify({ kind: b.kind, pid: b.pid, ports: b.ports, certs })}\n`);
  const onSignal = (): void => void b.stop().then(() => process.exit(0));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv[2] ?? '/tmp/sluice-security').catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
