/**
 * Throwaway certificates for development (`sluice certs`): a CA, a server certificate for
 * localhost/127.0.0.1 (and any extra hosts) and a client certificate, all signed by the CA.
 *
 * X.509 and PKCS#12 are built with node-forge (the library behind the `selfsigned` package and
 * webpack-dev-server's certificates) rather than our own DER code; the RSA keys come from
 * node:crypto, which is native and much faster than forge's JavaScript key generation.
 *
 * Files written (PEM is what node, librdkafka and Kafka's ssl.keystore.type=PEM read; PKCS#12 is
 * what Java clients and keytool read):
 *   ca.pem                         the CA certificate (the trust store of clients and of the broker)
 *   ca-key.pem                     the CA's key (to sign more certificates by hand)
 *   server.pem                     server key (PKCS#8) followed by its chain (server cert, CA cert)
 *   server-key.pem, server-cert.pem
 *   client.pem, client-key.pem, client-cert.pem   the same for the client
 *   server.p12, client.p12         key + chain, password-protected
 *   truststore.p12                 the CA certificate as a trusted entry Java's keytool recognises
 * Nothing here is secret beyond a dev machine: the keys are not encrypted on disk.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type Forge from 'node-forge';
import { nodeForge } from './forge.js';

export interface DevCertsOptions {
  /** Directory to write into (created when missing). */
  outDir: string;
  /** Validity of every certificate, in days from now. */
  days?: number;
  /** Extra host names or IP addresses for the server certificate (localhost and 127.0.0.1 always). */
  hosts?: readonly string[];
  /** Common name of the client certificate (its principal is User:CN=<cn> by default rules). */
  clientCn?: string;
  /** Password of the PKCS#12 files; a random one when absent. */
  password?: string;
}

export interface DevCerts {
  outDir: string;
  /** The password of server.p12, client.p12 and truststore.p12. */
  password: string;
  /** Paths by file name (ca.pem, server.pem, ...). */
  files: Readonly<Record<string, string>>;
  /** Subject DN of the client certificate, as Java (and so Kafka's principal mapping) prints it. */
  clientSubject: string;
  /** PEM texts, for tests and embedding. */
  caCertPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  clientKeyPem: string;
  clientCertPem: string;
}

const DEFAULT_DAYS = 365;
const RSA_BITS = 2048;
/** PKCS#12 MAC iterations (the count keytool and OpenSSL use by default). */
const P12_MAC_ITERATIONS = 10000;

interface Issued {
  keyPem: string;
  cert: Forge.pki.Certificate;
  certPem: string;
}

function newKeyPair(): { keyPem: string; privateKey: Forge.pki.rsa.PrivateKey; publicKey: Forge.pki.rsa.PublicKey } {
  const forge = nodeForge();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as Forge.pki.rsa.PrivateKey;
  return { keyPem, privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

/** A positive serial number of 16 random bytes, hex (the top bit cleared so DER keeps it positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: Forge.pki.Certificate, days: number): void {
  const now = Date.now();
  // Back-dated an hour so a client whose clock is slightly behind still accepts it.
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
}

function issueCa(days: number): Issued {
  const forge = nodeForge();
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, days);
  const subject = [
    { shortName: 'O', value: 'Sluice' },
    { shortName: 'CN', value: 'Sluice dev CA' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { keyPem: keys.keyPem, cert, certPem: forge.pki.certificateToPem(cert) };
}

function issueLeaf(ca: Issued, options: { days: number; cn: string; server: boolean; hosts: readonly string[] }): Issued {
  const forge = nodeForge();
  const keys = newKeyPair();
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.days);
  cert.setSubject([
    { shortName: 'O', value: 'Sluice' },
    { shortName: 'OU', value: 'dev' },
    { shortName: 'CN', value: options.cn },
  ]);
  cert.setIssuer(ca.cert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: options.server, clientAuth: !options.server },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (options.server) {
    // type 2: dNSName, type 7: iPAddress (RFC 5280 GeneralName).
    extensions.push({ name: 'subjectAltName', altNames: options.hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) });
  }
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { keyPem: keys.keyPem, cert, certPem: forge.pki.certificateToPem(cert) };
}

function keyStoreP12(leaf: Issued, ca: Issued, password: string, alias: string): Buffer {
  const forge = nodeForge();
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(leaf.keyPem), [leaf.cert, ca.cert], password, {
    // AES-256 (PBES2) for the key: OpenSSL 3 and Java 11+ read it; OpenSSL 3 refuses the legacy RC2.
    algorithm: 'aes256',
    friendlyName: alias,
    count: P12_MAC_ITERATIONS,
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** Oracle's trusted-key-usage bag attribute: without it Java ignores a certificate-only PKCS#12 entry. */
const ORACLE_TRUSTED_KEY_USAGE_OID = '2.16.840.1.113894.746875.1.1';
const ANY_EXTENDED_KEY_USAGE_OID = '2.5.29.37.0';

/**
 * A PKCS#12 trust store: each certificate in a cert bag marked as trusted for any purpose (what
 * keytool -importcert writes and `openssl pkcs12 -export -jdktrust anyExtendedKeyUsage` imitates).
 * forge writes cert-only files without that attribute, so the PFX is assembled here from forge's
 * ASN.1 pieces, with forge's PKCS#12 key derivation for the SHA-1 HMAC.
 */
export function trustStoreP12(certs: ReadonlyArray<{ alias: string; cert: Forge.pki.Certificate }>, password: string): Buffer {
  const forge = nodeForge();
  const { asn1 } = forge;
  const U = asn1.Class.UNIVERSAL;
  const T = asn1.Type;
  const oid = (o: string): Forge.asn1.Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
  const octets = (bytes: string): Forge.asn1.Asn1 => asn1.create(U, T.OCTETSTRING, false, bytes);
  const seq = (items: Forge.asn1.Asn1[]): Forge.asn1.Asn1 => asn1.create(U, T.SEQUENCE, true, items);
  const set = (items: Forge.asn1.Asn1[]): Forge.asn1.Asn1 => asn1.create(U, T.SET, true, items);
  const explicit0 = (item: Forge.asn1.Asn1): Forge.asn1.Asn1 => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [item]);
  const attribute = (id: string, value: Forge.asn1.Asn1): Forge.asn1.Asn1 => seq([oid(id), set([value])]);

  const bags = certs.map(({ alias, cert }) =>
    seq([
      oid(forge.pki.oids['certBag']!),
      explicit0(seq([oid(forge.pki.oids['x509Certificate']!), explicit0(octets(asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes()))])),
      set([
        attribute(forge.pki.oids['friendlyName']!, asn1.create(U, T.BMPSTRING, false, alias)),
        attribute(ORACLE_TRUSTED_KEY_USAGE_OID, oid(ANY_EXTENDED_KEY_USAGE_OID)),
      ]),
    ]),
  );
  const safeContents = asn1.toDer(seq(bags)).getBytes();
  const authenticatedSafe = asn1.toDer(seq([seq([oid(forge.pki.oids['data']!), explicit0(octets(safeContents))])])).getBytes();

  const salt = forge.random.getBytesSync(16);
  // PKCS#12 key derivation, ID 3 = MAC key, 20 bytes for HMAC-SHA1 (RFC 7292 B.2).
  const macKey = forge.pkcs12.generateKey(password, new forge.util.ByteStringBuffer(salt), 3, P12_MAC_ITERATIONS, 20);
  const hmac = forge.hmac.create();
  hmac.start(forge.md.sha1.create(), macKey.getBytes());
  hmac.update(authenticatedSafe);
  const macData = seq([
    seq([seq([oid(forge.pki.oids['sha1']!), asn1.create(U, T.NULL, false, '')]), octets(hmac.digest().getBytes())]),
    octets(salt),
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(P12_MAC_ITERATIONS).getBytes()),
  ]);
  const pfx = seq([asn1.create(U, T.INTEGER, false, asn1.integerToDer(3).getBytes()), seq([oid(forge.pki.oids['data']!), explicit0(octets(authenticatedSafe))]), macData]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

/** Generates the CA, server and client certificates and writes every file into `outDir`. */
export function writeDevCerts(options: DevCertsOptions): DevCerts {
  const days = options.days ?? DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`--days must be a positive integer, got ${days}`);
  const hosts = [...new Set(['localhost', '127.0.0.1', ...(options.hosts ?? [])])];
  const clientCn = options.clientCn ?? 'client';
  const password = options.password ?? randomBytes(12).toString('base64url');

  const ca = issueCa(days);
  const server = issueLeaf(ca, { days, cn: hosts[0]!, server: true, hosts });
  const client = issueLeaf(ca, { days, cn: clientCn, server: false, hosts: [] });

  mkdirSync(options.outDir, { recursive: true });
  const contents: Record<string, string | Buffer> = {
    'ca.pem': ca.certPem,
    'ca-key.pem': ca.keyPem,
    'server.pem': server.keyPem + server.certPem + ca.certPem,
    'server-key.pem': server.keyPem,
    'server-cert.pem': server.certPem,
    'client.pem': client.keyPem + client.certPem + ca.certPem,
    'client-key.pem': client.keyPem,
    'client-cert.pem': client.certPem,
    'server.p12': keyStoreP12(server, ca, password, 'server'),
    'client.p12': keyStoreP12(client, ca, password, 'client'),
    'truststore.p12': trustStoreP12([{ alias: 'ca', cert: ca.cert }], password),
  };
  const files: Record<string, string> = {};
  for (const [name, data] of Object.entries(contents)) {
    const path = join(options.outDir, name);
    // Keys readable by the owner only; certificates and trust stores by anyone.
    writeFileSync(path, data, { mode: /key|^(server|client)\.(pem|p12)$/.test(name) ? 0o600 : 0o644 });
    files[name] = path;
  }
  return {
    outDir: options.outDir,
    password,
    files,
    clientSubject: `CN=${clientCn},OU=dev,O=Sluice`,
    caCertPem: ca.certPem,
    serverKeyPem: server.keyPem,
    serverCertPem: server.certPem,
    clientKeyPem: client.keyPem,
    clientCertPem: client.certPem,
  };
}

/** The server.properties lines that use the files `writeDevCerts` wrote (for `sluice certs` to print). */
export function devCertsProperties(certs: DevCerts): string {
  const f = certs.files;
  return [
    '# An SSL listener with these certificates, e.g. listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093',
    '# (and listener.security.protocol.map listing CONTROLLER:PLAINTEXT on a combined node, as in Kafka)',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${f['server.pem']}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${f['ca.pem']}`,
    '# mutual TLS: clients present client.pem (principal User:' + certs.clientSubject + ')',
    'ssl.client.auth=required',
    '',
    '# or PKCS12 instead of PEM:',
    '#   ssl.keystore.type=PKCS12',
    `#   ssl.keystore.location=${f['server.p12']}`,
    `#   ssl.keystore.password=${certs.password}`,
    '#   ssl.truststore.type=PKCS12',
    `#   ssl.truststore.location=${f['truststore.p12']}`,
    `#   ssl.truststore.password=${certs.password}`,
    '',
  ].join('\n');
}
