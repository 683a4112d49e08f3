import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import t from 'tap';
import forge from 'node-forge';
import { devCertsProperties, writeDevCerts } from './dev-certs.js';
import { subjectDnOf } from './ssl-principal.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-dev-certs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const certs = writeDevCerts({ outDir: join(dir, 'out'), days: 30, hosts: ['broker.test', '10.1.2.3'], clientCn: 'alice' });
const f = certs.files;

/** Which program is on PATH, or null. */
function has(program: string, versionArg: string): boolean {
  return spawnSync(program, [versionArg], { stdio: 'ignore' }).status === 0;
}

t.test('every file is written; keys are readable by the owner only', async (t) => {
  t.same(Object.keys(f).sort(), ['ca-key.pem', 'ca.pem', 'client-cert.pem', 'client-key.pem', 'client.p12', 'client.pem', 'server-cert.pem', 'server-key.pem', 'server.p12', 'server.pem', 'truststore.p12']);
  for (const name of ['ca-key.pem', 'server-key.pem', 'client-key.pem', 'server.pem', 'client.pem', 'server.p12', 'client.p12']) {
    t.equal(statSync(f[name]!).mode & 0o777, 0o600, name);
  }
  t.equal(statSync(f['ca.pem']!).mode & 0o777, 0o644);
  t.equal(statSync(f['truststore.p12']!).mode & 0o777, 0o644);
  t.match(readFileSync(f['server.pem']!, 'utf8'), /^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN CERTIFICATE-----/, 'PKCS#8 key, then the chain (what ssl.keystore.type=PEM reads)');
  t.match(devCertsProperties(certs), new RegExp(`ssl.keystore.location=${f['server.pem']!.replace(/[.]/g, '\\.')}`));
  t.match(devCertsProperties(certs), `ssl.truststore.password=${certs.password}`);
});

t.test('certificates: a CA, a server certificate for localhost, 127.0.0.1 and the extra hosts, a client certificate', async (t) => {
  const ca = new X509Certificate(certs.caCertPem);
  const server = new X509Certificate(certs.serverCertPem);
  const client = new X509Certificate(certs.clientCertPem);
  t.ok(ca.ca, 'the CA is a CA');
  t.notOk(server.ca);
  t.ok(server.verify(ca.publicKey) && client.verify(ca.publicKey), 'both signed by the CA');
  t.ok(server.checkIssued(ca) && client.checkIssued(ca));
  t.equal(server.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, DNS:broker.test, IP Address:10.1.2.3');
  t.equal(server.checkHost('broker.test'), 'broker.test');
  t.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(subjectDnOf(client.raw), 'CN=alice,OU=dev,O=Sluice');
  t.equal(certs.clientSubject, 'CN=alice,OU=dev,O=Sluice');
  const days = (Date.parse(server.validTo) - Date.parse(server.validFrom)) / 86_400_000;
  t.ok(days > 30 && days < 30.1, `valid for --days (and an hour back): ${days}`);
  t.throws(() => writeDevCerts({ outDir: join(dir, 'bad'), days: 0 }), RangeError);
});

/** A handshake on 127.0.0.1 with client auth required; resolves with what each side saw. */
async function mutualTls(serverOptions: tls.TlsOptions, clientOptions: tls.ConnectionOptions): Promise<{ serverSaw: string; clientAuthorized: boolean }> {
  let serverSaw = '';
  const server = tls.createServer({ ...serverOptions, requestCert: true, rejectUnauthorized: true }, (socket) => {
    serverSaw = socket.authorized ? subjectDnOf(socket.getPeerCertificate().raw) : `unauthorized: ${String(socket.authorizationError)}`;
    socket.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const clientAuthorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...clientOptions }, () => {
        const authorized = socket.authorized;
        socket.on('data', () => {});
        socket.on('end', () => resolve(authorized));
      });
      socket.on('error', reject);
    });
    return { serverSaw, clientAuthorized };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

t.test('the chain verifies in a real TLS handshake with client auth (PEM files)', async (t) => {
  const read = (name: string): string => readFileSync(f[name]!, 'utf8');
  const result = await mutualTls(
    { key: read('server-key.pem'), cert: read('server-cert.pem'), ca: read('ca.pem') },
    { ca: read('ca.pem'), key: read('client-key.pem'), cert: read('client-cert.pem') },
  );
  t.same(result, { serverSaw: 'CN=alice,OU=dev,O=Sluice', clientAuthorized: true }, 'each side verified the other; the server identity checked against 127.0.0.1');
  const byName = await mutualTls({ key: read('server-key.pem'), cert: read('server-cert.pem'), ca: read('ca.pem') }, { servername: 'localhost', ca: read('ca.pem'), key: read('client-key.pem'), cert: read('client-cert.pem') });
  t.equal(byName.clientAuthorized, true, 'and against localhost');
});

t.test('the PKCS#12 files open with the printed password and make the same handshake', async (t) => {
  const result = await mutualTls(
    { pfx: readFileSync(f['server.p12']!), passphrase: certs.password, ca: certs.caCertPem },
    { pfx: readFileSync(f['client.p12']!), passphrase: certs.password, ca: certs.caCertPem },
  );
  t.same(result, { serverSaw: 'CN=alice,OU=dev,O=Sluice', clientAuthorized: true });
  t.throws(() => tls.createSecureContext({ pfx: readFileSync(f['server.p12']!), passphrase: 'wrong' }), /mac verify failure/);
});

t.test('truststore.p12: the CA as a trusted entry, marked as Java requires', async (t) => {
  const der = readFileSync(f['truststore.p12']!).toString('binary');
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, certs.password);
  const bags = p12.getBags({ bagType: forge.pki.oids['certBag']! })[forge.pki.oids['certBag']!]!;
  t.equal(bags.length, 1);
  t.equal(forge.pki.certificateToPem(bags[0]!.cert!).replace(/\r/g, ''), certs.caCertPem.replace(/\r/g, ''));
  t.same(bags[0]!.attributes['friendlyName'], ['ca']);
  // forge drops attributes it does not know; the cert bags are not encrypted, so look at the bytes.
  const trustedKeyUsage = Buffer.from(forge.asn1.oidToDer('2.16.840.1.113894.746875.1.1').getBytes(), 'binary');
  t.ok(Buffer.from(der, 'binary').includes(trustedKeyUsage), "Oracle's trusted-key-usage attribute (without it Java ignores the entry)");
  t.throws(() => forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, 'wrong'), /MAC could not be verified/, 'the MAC checks the password');
});

t.test('keytool (Java) reads the PKCS#12 files', { skip: has('keytool', '-help') ? false : 'keytool not installed' }, async (t) => {
  const list = spawnSync('keytool', ['-list', '-keystore', f['truststore.p12']!, '-storetype', 'PKCS12', '-storepass', certs.password], { encoding: 'utf8' });
  t.match(list.stdout, /Your keystore contains 1 entry[\s\S]*ca, .*trustedCertEntry/, 'keytool sees a trusted certificate entry');
  const server = spawnSync('keytool', ['-list', '-keystore', f['server.p12']!, '-storepass', certs.password], { encoding: 'utf8' });
  t.match(server.stdout, /server, .*PrivateKeyEntry/, 'and the server key entry in server.p12');
});

t.test('openssl accepts the chain', { skip: has('openssl', 'version') ? false : 'openssl not installed' }, async (t) => {
  const verify = spawnSync('openssl', ['verify', '-CAfile', f['ca.pem']!, f['server-cert.pem']!, f['client-cert.pem']!], { encoding: 'utf8' });
  t.equal(verify.status, 0, verify.stderr);
  t.match(verify.stdout, /server-cert.pem: OK\n.*client-cert.pem: OK/);
  const p12 = spawnSync('openssl', ['pkcs12', '-in', f['server.p12']!, '-passin', `pass:${certs.password}`, '-noout'], { encoding: 'utf8' });
  t.equal(p12.status, 0, `openssl reads server.p12: ${p12.stderr}`);
});
