import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import t, { type Test } from 'tap';
import { ConfigError, loadBrokerConfig, type BrokerConfig } from '../config/broker-config.js';
import { writeDevCerts, type DevCerts } from './dev-certs.js';
import { JAVA_TO_OPENSSL_CIPHERS, tlsListener, tlsServerOptions, type TlsListener } from './tls.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'Sesame-0pen';
const certs: DevCerts = writeDevCerts({ outDir: join(dir, 'certs'), password: PASSWORD });
// A second, unrelated CA: its client certificate must not be trusted.
const stranger: DevCerts = writeDevCerts({ outDir: join(dir, 'stranger'), clientCn: 'mallory' });
const f = certs.files;
const CLIENT_DN = 'CN=client,OU=dev,O=Sluice';

/** A broker config with one SSL listener named SSL (or another protocol) and the given settings. */
function config(props: Record<string, string>, listener = 'SSL', protocol = 'SSL'): BrokerConfig {
  return loadBrokerConfig({
    properties: {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:9094',
      listeners: `${listener}://127.0.0.1:9093,CONTROLLER://127.0.0.1:9094`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': `${listener}:${protocol},CONTROLLER:PLAINTEXT`,
      'inter.broker.listener.name': listener,
      'log.dirs': join(dir, 'data'),
      ...props,
    },
  });
}

const PEM_STORES = {
  'ssl.keystore.type': 'PEM',
  'ssl.keystore.location': f['server.pem']!,
  'ssl.truststore.type': 'PEM',
  'ssl.truststore.location': f['ca.pem']!,
};

type Outcome = { ok: true; principal: string; protocol: string; cipher: string } | { ok: false; error: string };

/**
 * A real handshake on 127.0.0.1: a node:tls server with the listener's options that answers
 * "OK <principal> <protocol> <cipher>" (or closes when principalOf throws), and a client.
 */
async function handshake(listener: TlsListener, client: tls.ConnectionOptions = {}): Promise<Outcome> {
  const server = tls.createServer(listener.options, (socket) => {
    try {
      const principal = listener.principalOf(socket);
      socket.end(`OK ${principal} ${socket.getProtocol()} ${socket.getCipher().name}\n`);
    } catch {
      socket.destroy();
    }
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Outcome>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: [certs.caCertPem], ...client });
      let data = '';
      let error = '';
      socket.setEncoding('utf8');
      socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('error', (err) => (error = err.message));
      socket.on('close', () => {
        const m = /^OK (\S+) (\S+) (\S+)\n$/.exec(data);
        resolve(m ? { ok: true, principal: m[1]!, protocol: m[2]!, cipher: m[3]! } : { ok: false, error: error || 'closed without an answer' });
      });
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const clientCert = { cert: certs.clientCertPem, key: certs.clientKeyPem };
const strangerCert = { cert: stranger.clientCertPem, key: stranger.clientKeyPem };

/** The ConfigError message of building the listener, or a failed test. */
function configError(t: Test, props: Record<string, string>, listener = 'SSL'): string {
  try {
    tlsListener(config(props, listener), listener);
  } catch (err) {
    t.type(err, ConfigError);
    const message = (err as Error).message;
    t.notOk(message.includes('\n'), 'one line');
    t.notOk(message.includes(PASSWORD), 'never the password');
    return message;
  }
  t.fail('expected a ConfigError');
  return '';
}

t.test('PEM key store and trust store files; mutual TLS required', async (t) => {
  const listener = tlsListener(config({ ...PEM_STORES, 'ssl.client.auth': 'required' }), 'SSL');
  t.equal(listener.clientAuth, 'required');
  t.same(listener.warnings, []);
  const good = await handshake(listener, clientCert);
  t.same(good, { ok: true, principal: `User:${CLIENT_DN}`, protocol: 'TLSv1.3', cipher: (good as { cipher: string }).cipher }, 'the principal is the subject DN (DEFAULT rule)');
  t.equal((await handshake(listener)).ok, false, 'no client certificate: refused');
  t.equal((await handshake(listener, strangerCert)).ok, false, 'a certificate from another CA: refused');
  const wrongCa = await handshake(listener, { ...clientCert, ca: [stranger.caCertPem] });
  t.equal(wrongCa.ok, false, 'the client does not trust the server either');
  t.same(Object.keys(tlsServerOptions(config({ ...PEM_STORES }), 'SSL')).sort(), ['ca', 'cert', 'key', 'maxVersion', 'minVersion', 'requestCert']);
});

t.test('ssl.client.auth=none: no certificate asked, the principal is ANONYMOUS', async (t) => {
  const listener = tlsListener(config(PEM_STORES), 'SSL');
  t.equal(listener.clientAuth, 'none', "Kafka's default");
  t.match(await handshake(listener), { ok: true, principal: 'User:ANONYMOUS' });
  t.match(await handshake(listener, clientCert), { ok: true, principal: 'User:ANONYMOUS' }, 'a certificate nobody asked for is not used');
});

t.test('ssl.client.auth=requested: none is fine, a trusted one names the client, an untrusted one fails as in Java', async (t) => {
  const listener = tlsListener(config({ ...PEM_STORES, 'ssl.client.auth': 'requested' }), 'SSL');
  t.match(await handshake(listener), { ok: true, principal: 'User:ANONYMOUS' });
  t.match(await handshake(listener, clientCert), { ok: true, principal: `User:${CLIENT_DN}` });
  // Java's SSLEngine with want-client-auth fails the handshake (certificate_unknown) on an
  // untrusted certificate rather than ignoring it; here the connection is closed.
  t.equal((await handshake(listener, strangerCert)).ok, false);
});

t.test('ssl.principal.mapping.rules, listener-prefixed', async (t) => {
  const listener = tlsListener(
    config({ ...PEM_STORES, 'ssl.client.auth': 'required', 'listener.name.ssl.ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),OU=dev,.*$/$1/U,DEFAULT' }),
    'SSL',
  );
  t.match(await handshake(listener, clientCert), { ok: true, principal: 'User:CLIENT' });
  const nothingMaps = tlsListener(config({ ...PEM_STORES, 'ssl.client.auth': 'required', 'ssl.principal.mapping.rules': 'RULE:^CN=nobody$/x/' }), 'SSL');
  t.equal((await handshake(nothingMaps, clientCert)).ok, false, 'no rule maps the DN: the connection fails');
  t.match(configError(t, { ...PEM_STORES, 'ssl.principal.mapping.rules': 'RULE:broken' }), /^ssl.principal.mapping.rules \(listener SSL\): Invalid rule/);
});

/** PEM text written on one line, as it often is in a properties file. */
const oneLine = (pem: string): string => pem.replace(/\n/g, ' ').trim();

t.test('inline PEM: ssl.keystore.key, ssl.keystore.certificate.chain, ssl.truststore.certificates', async (t) => {
  const props = {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.key': oneLine(certs.serverKeyPem),
    'ssl.keystore.certificate.chain': oneLine(certs.serverCertPem + certs.caCertPem),
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.certificates': certs.caCertPem,
    'ssl.client.auth': 'required',
  };
  t.match(await handshake(tlsListener(config(props), 'SSL'), clientCert), { ok: true, principal: `User:${CLIENT_DN}` });
  t.match(configError(t, { ...props, 'ssl.keystore.certificate.chain': '' }), /the private key is given but ssl.keystore.certificate.chain is not/);
  t.match(configError(t, { ...props, 'ssl.keystore.location': f['server.pem']! }), /both ssl.keystore.location and an inline private key/);
  t.match(configError(t, { ...props, 'ssl.keystore.password': PASSWORD }), /^ssl.keystore.password \(listener SSL\): cannot be set with ssl.keystore.type=PEM/);
  t.match(configError(t, { ...props, 'ssl.keystore.type': 'PKCS12' }), /inline only with ssl.keystore.type=PEM/);
  t.match(configError(t, { ...props, 'ssl.keystore.key': 'not a key' }), /^ssl.keystore.key \(listener SSL\): no private key/);
  t.match(configError(t, { ...props, 'ssl.keystore.key': stranger.serverKeyPem }), /does not belong to the first certificate/);
});

t.test('an encrypted PEM key opens with ssl.key.password', async (t) => {
  const encryptedKey = createPrivateKey(certs.serverKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD }).toString();
  const file = join(dir, 'server-encrypted.pem');
  writeFileSync(file, encryptedKey + certs.serverCertPem + certs.caCertPem);
  const props = { ...PEM_STORES, 'ssl.keystore.location': file };
  t.match(await handshake(tlsListener(config({ ...props, 'ssl.key.password': PASSWORD }), 'SSL')), { ok: true });
  t.match(configError(t, props), /^ssl.keystore.location \(listener SSL\): the private key in .* is encrypted: set ssl.key.password$/);
  t.match(configError(t, { ...props, 'ssl.key.password': 'wrong' }), /^ssl.key.password \(listener SSL\): does not decrypt the private key/);
});

t.test('PKCS12 key store and trust store', async (t) => {
  const p12 = {
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': f['server.p12']!,
    'ssl.keystore.password': PASSWORD,
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': f['truststore.p12']!,
    'ssl.truststore.password': PASSWORD,
    'ssl.client.auth': 'required',
  };
  t.match(await handshake(tlsListener(config(p12), 'SSL'), clientCert), { ok: true, principal: `User:${CLIENT_DN}` });
  t.equal((await handshake(tlsListener(config(p12), 'SSL'), strangerCert)).ok, false, 'the trust store holds only our CA');
  // Kafka's default type is JKS; a JVM's JKS key store reads PKCS12 files too, and so does Sluice.
  const { ['ssl.keystore.type']: _k, ['ssl.truststore.type']: _t, ...defaultTypes } = p12;
  t.match(await handshake(tlsListener(config(defaultTypes), 'SSL'), clientCert), { ok: true, principal: `User:${CLIENT_DN}` });
  t.match(configError(t, { ...p12, 'ssl.keystore.password': 'wrong' }), /^ssl.keystore.location \(listener SSL\): cannot load the PKCS12 key store .*server.p12: wrong ssl.keystore.password/);
  t.match(configError(t, { ...p12, 'ssl.keystore.password': '' }), /^ssl.keystore.password \(listener SSL\): is required for the PKCS12 key store/);
  t.match(configError(t, { ...p12, 'ssl.truststore.password': 'wrong' }), /^ssl.truststore.password \(listener SSL\): wrong password/);
  t.match(configError(t, { ...p12, 'ssl.truststore.password': '' }), /is password-protected: set ssl.truststore.password/);
  t.match(configError(t, { ...p12, 'ssl.truststore.type': 'PEM' }), /is not a PEM file/);
});

t.test('JKS stores: a one-line error saying how to convert', async (t) => {
  // A JKS file starts with the magic 0xFEEDFEED; the rest does not matter to the check.
  const jks = join(dir, 'server.keystore.jks');
  writeFileSync(jks, Buffer.concat([Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]), Buffer.alloc(64)]));
  const message = configError(t, { 'ssl.keystore.location': jks, 'ssl.keystore.password': PASSWORD });
  t.match(message, /^ssl.keystore.location \(listener SSL\): .*server.keystore.jks is a JKS key store, which Sluice cannot read: convert it with keytool -importkeystore -srckeystore .*server.keystore.jks -destkeystore .*server.keystore.p12 -deststoretype PKCS12 and set ssl.keystore.type=PKCS12, or use ssl.keystore.type=PEM$/);
  t.match(configError(t, { ...PEM_STORES, 'ssl.truststore.type': 'JKS', 'ssl.truststore.location': jks }), /is a JKS trust store.*ssl.truststore.type=PKCS12/);
  t.match(configError(t, { 'ssl.keystore.location': f['server.pem']! }), /is a PEM file but ssl.keystore.type is JKS \(Kafka's default\): set ssl.keystore.type=PEM/);
  t.match(configError(t, { ...PEM_STORES, 'ssl.keystore.type': 'BKS' }), /^ssl.keystore.type \(listener SSL\): unsupported key store type "BKS"/);
});

t.test('bad paths and missing stores name the config and the listener', async (t) => {
  t.equal(configError(t, { ...PEM_STORES, 'ssl.keystore.location': '/no/such/server.pem' }), 'ssl.keystore.location (listener SSL): cannot read /no/such/server.pem: no such file');
  t.equal(configError(t, { ...PEM_STORES, 'ssl.truststore.location': dir }), `ssl.truststore.location (listener SSL): cannot read ${dir}: is a directory`);
  t.match(configError(t, { 'listener.name.ssl.ssl.keystore.location': '/nope.p12', 'ssl.keystore.password': PASSWORD }), /^listener.name.ssl.ssl.keystore.location \(listener SSL\): cannot read \/nope.p12/, 'the listener-prefixed name when that is what was set');
  t.match(configError(t, {}), /^ssl.keystore.location \(listener SSL\): a TLS listener needs a key store/);
  t.match(configError(t, { ...PEM_STORES, 'ssl.truststore.location': f['server-key.pem']! }), /no certificate \(-----BEGIN CERTIFICATE-----\)/);
});

t.test('Java-only settings: a custom engine factory is refused, ssl.provider ignored with a warning', async (t) => {
  t.match(configError(t, { ...PEM_STORES, 'ssl.engine.factory.class': 'com.example.MyFactory' }), /^ssl.engine.factory.class \(listener SSL\): a custom SslEngineFactory is a Java class/);
  t.same(tlsListener(config({ ...PEM_STORES, 'ssl.provider': 'SunJSSE' }), 'SSL').warnings, ["ssl.provider (listener SSL): ignored; TLS is Node's OpenSSL"]);
});

t.test('listener-prefixed configs win over broker-wide ones', async (t) => {
  const listener = tlsListener(config({ ...PEM_STORES, 'ssl.keystore.location': '/no/such/file', 'listener.name.ssl.ssl.keystore.location': f['server.pem']! }), 'SSL');
  t.match(await handshake(listener), { ok: true });
});

t.test('ssl.enabled.protocols and ssl.protocol', async (t) => {
  const only13 = tlsListener(config({ ...PEM_STORES, 'ssl.enabled.protocols': 'TLSv1.3' }), 'SSL');
  t.match(await handshake(only13), { ok: true, protocol: 'TLSv1.3' });
  t.equal((await handshake(only13, { maxVersion: 'TLSv1.2' })).ok, false, 'a TLS 1.2 client is refused');
  const only12 = tlsListener(config({ ...PEM_STORES, 'ssl.enabled.protocols': 'TLSv1.2' }), 'SSL');
  t.match(await handshake(only12), { ok: true, protocol: 'TLSv1.2' });
  t.equal((await handshake(only12, { minVersion: 'TLSv1.3' })).ok, false, 'a TLS 1.3-only client is refused');
  t.match(await handshake(tlsListener(config(PEM_STORES), 'SSL'), { maxVersion: 'TLSv1.2' }), { ok: true, protocol: 'TLSv1.2' }, 'default: both');

  const old = tlsListener(config({ ...PEM_STORES, 'ssl.enabled.protocols': 'TLSv1.2,TLSv1.1,TLSv1' }), 'SSL');
  t.same(old.warnings, ['ssl.enabled.protocols (listener SSL): TLSv1.1, TLSv1 left out (insecure; current JVMs disable them too)'], "Kafka 2.x's old default still starts");
  t.match(await handshake(old), { ok: true, protocol: 'TLSv1.2' });
  t.match(configError(t, { ...PEM_STORES, 'ssl.enabled.protocols': 'TLSv1,TLSv1.1' }), /^ssl.enabled.protocols \(listener SSL\): TLSv1, TLSv1.1 are disabled/);
  t.match(configError(t, { ...PEM_STORES, 'ssl.enabled.protocols': 'TLSv1.2,TLSv1.4' }), /unsupported protocol "TLSv1.4"/);
  t.match(configError(t, { ...PEM_STORES, 'ssl.protocol': 'TLSv9' }), /^ssl.protocol \(listener SSL\): unknown protocol "TLSv9"/);
  t.doesNotThrow(() => tlsListener(config({ ...PEM_STORES, 'ssl.protocol': 'TLSv1.2' }), 'SSL'));
});

t.test('ssl.cipher.suites: Java names mapped to OpenSSL, TLS 1.3 suites included', async (t) => {
  const available = new Set(tls.getCiphers().map((c) => c.toUpperCase()));
  for (const [java, openssl] of JAVA_TO_OPENSSL_CIPHERS) t.ok(available.has(openssl.toUpperCase()), `${java} -> ${openssl} exists in this OpenSSL`);

  const gcm12 = tlsListener(config({ ...PEM_STORES, 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' }), 'SSL');
  t.match(await handshake(gcm12), { ok: true, protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' }, 'only TLS 1.2 suites listed: TLS 1.2 is negotiated, as a JVM would');
  t.equal((await handshake(gcm12, { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' })).ok, false, 'a client without that suite is refused');

  const chacha13 = tlsListener(config({ ...PEM_STORES, 'ssl.cipher.suites': 'TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }), 'SSL');
  t.match(await handshake(chacha13), { ok: true, protocol: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
  t.match(await handshake(chacha13, { maxVersion: 'TLSv1.2' }), { ok: true, protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });

  const only13 = tlsListener(config({ ...PEM_STORES, 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256' }), 'SSL');
  t.match(await handshake(only13), { ok: true, protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
  t.equal((await handshake(only13, { maxVersion: 'TLSv1.2' })).ok, false, 'only TLS 1.3 suites: a TLS 1.2 client is refused');
  t.match(configError(t, { ...PEM_STORES, 'ssl.enabled.protocols': 'TLSv1.2', 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256' }), /^ssl.cipher.suites \(listener SSL\): no listed suite is usable with the enabled protocols \(TLSv1.2\)/);

  t.match(configError(t, { ...PEM_STORES, 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256,TLS_FOO_WITH_BAR' }), /^ssl.cipher.suites \(listener SSL\): unsupported cipher suite "TLS_FOO_WITH_BAR"$/);
  t.match(configError(t, { ...PEM_STORES, 'ssl.cipher.suites': 'ECDHE-RSA-AES128-GCM-SHA256' }), /an OpenSSL name: give the Java\/IANA name/);
  t.doesNotThrow(() => tlsListener(config({ ...PEM_STORES, 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256,TLS_EMPTY_RENEGOTIATION_INFO_SCSV' }), 'SSL'), "Java's signalling suite is accepted");
});

t.test('SASL_SSL: only a listener-prefixed ssl.client.auth asks for certificates (Kafka\'s rule)', async (t) => {
  const wide = tlsListener(config({ ...PEM_STORES, 'ssl.client.auth': 'required' }, 'SECURE', 'SASL_SSL'), 'SECURE');
  t.equal(wide.clientAuth, 'none');
  t.match(wide.warnings[0], /ssl.client.auth=required applies only to SSL listeners; set listener.name.secure.ssl.client.auth/);
  t.match(await handshake(wide), { ok: true });
  const prefixed = tlsListener(config({ ...PEM_STORES, 'listener.name.secure.ssl.client.auth': 'required' }, 'SECURE', 'SASL_SSL'), 'SECURE');
  t.equal(prefixed.clientAuth, 'required');
  t.equal((await handshake(prefixed)).ok, false);
  t.match(await handshake(prefixed, clientCert), { ok: true });
});

t.test('the dev certificates also load from disk as PEM strings', async (t) => {
  t.equal(readFileSync(f['server.pem']!, 'utf8'), certs.serverKeyPem + certs.serverCertPem + certs.caCertPem);
});
