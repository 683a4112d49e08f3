/**
 * TLS for a listener from Kafka's ssl.* configs (each also readable per listener as
 * listener.name.<listener>.ssl.*): what node:tls needs to serve it, and the principal of a client
 * that presented a certificate. net/server.ts creates the servers; this module only reads configs.
 *
 * Key store (the broker's key and certificate chain), ssl.keystore.type:
 *   PEM     ssl.keystore.location (a file with the private key and the chain) or inline
 *           ssl.keystore.key + ssl.keystore.certificate.chain; ssl.key.password decrypts an
 *           encrypted key; ssl.keystore.password must not be set (Kafka's rule).
 *   PKCS12  ssl.keystore.location + ssl.keystore.password (node's `pfx`).
 *   JKS     Kafka's default type. Node cannot read JKS: a JKS file is a ConfigError saying how to
 *           convert it. A PKCS12 file under the default type loads, as on a JVM (Java's JKS
 *           key store reads PKCS12 files too).
 * Trust store (CAs for client certificates), ssl.truststore.type: PEM (file or inline
 * ssl.truststore.certificates) or PKCS12 (certificates extracted with node-forge). None: node's
 * bundled CAs, as a JVM falls back to its cacerts.
 * ssl.client.auth none|requested|required (Kafka's rule: on a SASL_SSL listener only the
 * listener-prefixed value counts). `requested` asks for a certificate and accepts none (principal
 * User:ANONYMOUS); a certificate that does not verify fails the connection, as Java's SSLEngine
 * with want-client-auth fails the handshake on an untrusted certificate (Kafka 4.1.1 on JDK 17
 * answers alert certificate_unknown). Node's handshake cannot fail there, so principalOf throws
 * and the caller closes the connection.
 * ssl.enabled.protocols: TLSv1.2 and TLSv1.3. TLSv1, TLSv1.1, SSLv3 and SSLv2Hello are known
 * names that current JVMs disable (jdk.tls.disabledAlgorithms) and so does Node's OpenSSL: they
 * are left out with a warning, as a stock Kafka 2.x file may still list them.
 * ssl.cipher.suites: Java/IANA names mapped to OpenSSL's; TLS 1.3 suites keep their names. Only
 * TLS 1.2 suites listed means TLS 1.2 only (and the reverse), as on a JVM. An unknown name is a
 * ConfigError; Kafka 4.1.1 starts with one and then fails every handshake.
 * ssl.engine.factory.class (a Java class) is refused; ssl.provider is ignored with a warning.
 *
 * Every problem is one ConfigError line naming the config and the listener; passwords never
 * appear in messages.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type Forge from 'node-forge';
import { nodeForge } from './forge.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-error.js';
import { ANONYMOUS_PRINCIPAL, InvalidPrincipalRulesError, mapPrincipalName, NoMatchingRuleError, parsePrincipalRules, subjectDnOf } from './ssl-principal.js';

export { ANONYMOUS_PRINCIPAL, principalFromCertificate, subjectDnOf } from './ssl-principal.js';

export type SslClientAuth = 'none' | 'requested' | 'required';

/** What a TLS listener needs: node:tls options and how to name a client from its certificate. */
export interface TlsListener {
  listenerName: string;
  options: tls.TlsOptions;
  clientAuth: SslClientAuth;
  /** Things a user should know that do not stop the broker (dropped protocol names, ...). */
  warnings: string[];
  /**
   * The principal of a client on an established TLS socket of this listener: User:ANONYMOUS
   * without a certificate, else the mapped subject DN. Throws SslAuthenticationError when the
   * certificate did not verify (ssl.client.auth=requested) or no mapping rule applies: the
   * connection must then be closed, as Kafka fails its authentication.
   */
  principalOf(socket: tls.TLSSocket): string;
}

/** The TLS client authentication of one connection failed (Kafka: SslAuthenticationException). */
export class SslAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SslAuthenticationError';
  }
}

/** The node:tls server options of a listener (see tlsListener for the rest). */
export function tlsServerOptions(config: BrokerConfig, listenerName: string): tls.TlsOptions {
  return tlsListener(config, listenerName).options;
}

/** What tlsListener reads of the broker config (a BrokerConfig is one). */
export type TlsConfigSource = Pick<BrokerConfig, 'listenerGet' | 'securityProtocolMap' | 'explicit'>;

/** Reads every ssl.* config of `listenerName`; throws one ConfigError line on the first problem. */
export function tlsListener(config: TlsConfigSource, listenerName: string): TlsListener {
  const read = new ListenerConfigs(config, listenerName);
  const warnings: string[] = [];
  if (read.get('ssl.engine.factory.class') !== null) {
    throw read.error('ssl.engine.factory.class', 'a custom SslEngineFactory is a Java class Sluice cannot load; remove it and configure the ssl.keystore.* and ssl.truststore.* stores');
  }
  if (read.get('ssl.provider') !== null) warnings.push(`${read.nameOf('ssl.provider')} (listener ${listenerName}): ignored; TLS is Node's OpenSSL`);
  const options: tls.TlsOptions = { ...keyStoreOptions(read), ...trustStoreOptions(read) };

  const clientAuth = clientAuthOf(read, config, warnings);
  if (clientAuth !== 'none') {
    options.requestCert = true;
    // required: node refuses a missing or unverified certificate in the handshake. requested:
    // the handshake accepts both; principalOf fails an unverified one afterwards.
    options.rejectUnauthorized = clientAuth === 'required';
  } else {
    options.requestCert = false;
  }

  const versions = protocolOptions(read, warnings);
  const ciphers = cipherOptions(read, warnings);
  if (ciphers !== null) {
    options.ciphers = ciphers.names;
    // A JVM negotiates a protocol only with a suite of that protocol enabled; node would keep its
    // default TLS 1.3 suites when only TLS 1.2 ones are listed. Narrow the versions instead.
    if (!ciphers.tls13) versions.maxVersion = 'TLSv1.2';
    if (!ciphers.tls12) versions.minVersion = 'TLSv1.3';
    if (versions.minVersion === 'TLSv1.3' && versions.maxVersion === 'TLSv1.2') {
      throw read.error('ssl.cipher.suites', `no listed suite is usable with the enabled protocols (${read.get('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3'}): TLS 1.3 takes TLS_AES_* and TLS_CHACHA20_* suites, TLS 1.2 the others`);
    }
  }
  Object.assign(options, versions);

  // Let OpenSSL check it all now (key matches certificate, pfx password, cipher names), so a bad
  // store fails the start and not the first client.
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`listener ${listenerName}: the ssl.* configs do not make a TLS context: ${opensslMessage(err)}`);
  }

  let rules;
  try {
    // Not read.get: an empty value is an empty rule list (nothing maps), as in Kafka.
    rules = parsePrincipalRules(config.listenerGet(listenerName, 'ssl.principal.mapping.rules'));
  } catch (err) {
    if (err instanceof InvalidPrincipalRulesError) throw read.error('ssl.principal.mapping.rules', err.message);
    throw err;
  }

  return {
    listenerName,
    options,
    clientAuth,
    warnings,
    principalOf(socket) {
      const cert = socket.getPeerCertificate(false) as tls.PeerCertificate | null;
      if (cert === null || cert.raw === undefined) return ANONYMOUS_PRINCIPAL;
      if (!socket.authorized) {
        throw new SslAuthenticationError(`client certificate rejected on listener ${listenerName}: ${String(socket.authorizationError)}`);
      }
      const dn = subjectDnOf(cert.raw);
      try {
        return `User:${mapPrincipalName(dn, rules)}`;
      } catch (err) {
        if (err instanceof NoMatchingRuleError) {
          throw new SslAuthenticationError(`Failed to map name for '${dn}' based on SSL principal mapping rules.`);
        }
        throw err;
      }
    },
  };
}

/** One listener's view of the configs, and errors that name the config and the listener. */
class ListenerConfigs {
  constructor(
    private readonly config: TlsConfigSource,
    readonly listenerName: string,
  ) {}

  get(name: string): string | null {
    const v = this.config.listenerGet(this.listenerName, name);
    return v === null || v === '' ? null : v;
  }

  /** Where a value came from, for messages: the listener-prefixed name when that is set. */
  nameOf(name: string): string {
    const prefixed = `listener.name.${this.listenerName.toLowerCase()}.${name}`;
    return this.config.explicit.has(prefixed) ? prefixed : name;
  }

  error(name: string, problem: string): ConfigError {
    return new ConfigError(`${this.nameOf(name)} (listener ${this.listenerName}): ${problem}`);
  }

  readFile(name: string, path: string): Buffer {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      throw this.error(name, `cannot read ${path}: ${why}`);
    }
  }
}

type StoreFormat = 'PEM' | 'PKCS12' | 'JKS';

/** The format a store type names; the JVM's PKCS12 aliases included; anything else an error. */
function storeFormat(read: ListenerConfigs, typeName: 'ssl.keystore.type' | 'ssl.truststore.type'): StoreFormat {
  const type = (read.get(typeName) ?? 'JKS').toUpperCase();
  if (type === 'PEM' || type === 'PKCS12' || type === 'JKS') return type;
  if (type === 'PKCS#12' || type === 'P12') return 'PKCS12';
  throw read.error(typeName, `unsupported key store type "${read.get(typeName)}": use PEM or PKCS12`);
}

/** What a store file's first bytes say it is (JKS magic 0xFEEDFEED, a DER SEQUENCE, PEM text). */
function sniff(data: Buffer): 'JKS' | 'PKCS12' | 'PEM' | 'unknown' {
  if (data.length >= 4 && data.readUInt32BE(0) === 0xfeedfeed) return 'JKS';
  if (data.length >= 2 && data[0] === 0x30) return 'PKCS12';
  if (data.toString('latin1', 0, Math.min(data.length, 4096)).includes('-----BEGIN')) return 'PEM';
  return 'unknown';
}

function jksError(read: ListenerConfigs, typeName: string, locationName: string, path: string): ConfigError {
  const store = typeName.startsWith('ssl.keystore') ? 'key store' : 'trust store';
  return read.error(
    locationName,
    `${path} is a JKS ${store}, which Sluice cannot read: convert it with ` +
      `keytool -importkeystore -srckeystore ${path} -destkeystore ${path.replace(/\.jks$/i, '')}.p12 -deststoretype PKCS12 ` +
      `and set ${typeName}=PKCS12, or use ${typeName}=PEM`,
  );
}

/**
 * The store format to read a file with: the configured type, except that under JKS (Kafka's
 * default) a PKCS12 file loads as on a JVM, and a real JKS file is the conversion error.
 */
function fileFormat(read: ListenerConfigs, typeName: 'ssl.keystore.type' | 'ssl.truststore.type', locationName: string, path: string, data: Buffer): 'PEM' | 'PKCS12' {
  const format = storeFormat(read, typeName);
  const actual = sniff(data);
  if (actual === 'JKS') throw jksError(read, typeName, locationName, path);
  if (format === 'PEM') {
    if (actual !== 'PEM') throw read.error(locationName, `${path} is not a PEM file (no -----BEGIN line); set ${typeName} to its format`);
    return 'PEM';
  }
  if (actual === 'PEM') {
    throw read.error(locationName, `${path} is a PEM file but ${typeName} is ${format}${format === 'JKS' ? " (Kafka's default)" : ''}: set ${typeName}=PEM`);
  }
  if (actual !== 'PKCS12') throw read.error(locationName, `${path} is not a PKCS12 file`);
  return 'PKCS12';
}

// ---- PEM ------------------------------------------------------------------------------------

interface PemBlock {
  label: string;
  headers: string[];
  base64: string;
}

/**
 * The PEM blocks of a text, tolerant as Kafka's PemParser is of an inline value written on one
 * line or with odd spacing (a properties value often is), re-emitted in the canonical form
 * OpenSSL reads. Text outside blocks (openssl's "Bag Attributes" lines) is ignored.
 */
function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----\s*BEGIN\s+([A-Z0-9 ]+?)\s*-----([\s\S]*?)-----\s*END\s+\1\s*-----/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const label = m[1]!.replace(/\s+/g, ' ');
    const body = m[2]!;
    // Legacy encrypted PEM carries "Proc-Type:" and "DEK-Info:" headers before the base64.
    const headers: string[] = [];
    const headerRe = /^\s*([A-Za-z-]+:[^\r\n]*)[\r\n]+/;
    let rest = body;
    let h: RegExpExecArray | null;
    while ((h = headerRe.exec(rest)) !== null) {
      headers.push(h[1]!.trim());
      rest = rest.slice(h[0].length);
    }
    out.push({ label, headers, base64: rest.replace(/\s+/g, '') });
  }
  return out;
}

function pemText(block: PemBlock): string {
  const lines = block.base64.match(/.{1,64}/g) ?? [];
  const headers = block.headers.length > 0 ? block.headers.join('\n') + '\n\n' : '';
  return `-----BEGIN ${block.label}-----\n${headers}${lines.join('\n')}\n-----END ${block.label}-----\n`;
}

function certificatesPem(read: ListenerConfigs, name: string, text: string, where: string): string[] {
  const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE');
  if (certs.length === 0) throw read.error(name, `no certificate (-----BEGIN CERTIFICATE-----) in ${where}`);
  return certs.map((b) => pemText({ ...b, label: 'CERTIFICATE' }));
}

function privateKeyPem(read: ListenerConfigs, name: string, text: string, where: string): string {
  const keys = pemBlocks(text).filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (keys.length === 0) throw read.error(name, `no private key (-----BEGIN PRIVATE KEY-----) in ${where}`);
  if (keys.length > 1) throw read.error(name, `expected one private key in ${where}, found ${keys.length}`);
  return pemText(keys[0]!);
}

// ---- key store ------------------------------------------------------------------------------

function keyStoreOptions(read: ListenerConfigs): tls.TlsOptions {
  const type = storeFormat(read, 'ssl.keystore.type');
  const location = read.get('ssl.keystore.location');
  const password = read.get('ssl.keystore.password');
  const keyPassword = read.get('ssl.key.password');
  const inlineKey = read.get('ssl.keystore.key');
  const inlineChain = read.get('ssl.keystore.certificate.chain');

  // Kafka's checks, in Kafka's order (DefaultSslEngineFactory.createKeystore).
  if (inlineKey !== null) {
    if (type !== 'PEM') throw read.error('ssl.keystore.key', `a private key can be given inline only with ssl.keystore.type=PEM, but the key store type is ${read.get('ssl.keystore.type') ?? 'JKS'}`);
    if (inlineChain === null) throw read.error('ssl.keystore.key', 'the private key is given but ssl.keystore.certificate.chain is not');
    if (location !== null) throw read.error('ssl.keystore.key', 'both ssl.keystore.location and an inline private key are given; use one');
    if (password !== null) throw read.error('ssl.keystore.password', 'cannot be set with ssl.keystore.type=PEM; only ssl.key.password (for an encrypted key) may be');
    return pemKeyStore(read, 'ssl.keystore.key', inlineKey, 'ssl.keystore.certificate.chain', inlineChain, 'the inline value', keyPassword);
  }
  if (inlineChain !== null) throw read.error('ssl.keystore.certificate.chain', 'the certificate chain is given but ssl.keystore.key is not');
  if (location === null) {
    if (password !== null) throw read.error('ssl.keystore.password', 'is set but ssl.keystore.location is not');
    throw read.error('ssl.keystore.location', 'a TLS listener needs a key store: set ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain with ssl.keystore.type=PEM)');
  }
  const data = read.readFile('ssl.keystore.location', location);
  const format = fileFormat(read, 'ssl.keystore.type', 'ssl.keystore.location', location, data);
  if (format === 'PEM') {
    if (password !== null) throw read.error('ssl.keystore.password', 'cannot be set with ssl.keystore.type=PEM; only ssl.key.password (for an encrypted key) may be');
    const text = data.toString('utf8');
    return pemKeyStore(read, 'ssl.keystore.location', text, 'ssl.keystore.location', text, location, keyPassword);
  }
  if (password === null) throw read.error('ssl.keystore.password', `is required for the PKCS12 key store ${location}`);
  // One passphrase opens node's pfx; a key password different from the store's is not supported.
  const pfx: tls.PxfObject = { buf: data, passphrase: password };
  try {
    tls.createSecureContext({ pfx: [pfx] });
  } catch (err) {
    throw read.error('ssl.keystore.location', `cannot load the PKCS12 key store ${location}: ${pkcs12Message(err)}`);
  }
  return { pfx: [pfx] };
}

function pemKeyStore(read: ListenerConfigs, keyName: string, keyText: string, chainName: string, chainText: string, where: string, keyPassword: string | null): tls.TlsOptions {
  const key = privateKeyPem(read, keyName, keyText, where);
  const cert = certificatesPem(read, chainName, chainText, where).join('');
  const encrypted = key.includes('ENCRYPTED');
  if (encrypted && keyPassword === null) throw read.error(keyName, `the private key in ${where} is encrypted: set ssl.key.password`);
  try {
    tls.createSecureContext({ key, cert, ...(keyPassword !== null ? { passphrase: keyPassword } : {}) });
  } catch (err) {
    const message = opensslMessage(err);
    if (encrypted && /decrypt|bad password|unsupported|DECODER/i.test(message)) throw read.error('ssl.key.password', `does not decrypt the private key in ${where}`);
    if (/key values mismatch|KEY_VALUES_MISMATCH/i.test(message)) throw read.error(keyName, `the private key in ${where} does not belong to the first certificate of the chain`);
    throw read.error(keyName, `cannot load the key and certificates in ${where}: ${message}`);
  }
  return { key, cert, ...(keyPassword !== null ? { passphrase: keyPassword } : {}) };
}

// ---- trust store ----------------------------------------------------------------------------

function trustStoreOptions(read: ListenerConfigs): tls.TlsOptions {
  const type = storeFormat(read, 'ssl.truststore.type');
  const location = read.get('ssl.truststore.location');
  const password = read.get('ssl.truststore.password');
  const inline = read.get('ssl.truststore.certificates');

  if (inline !== null) {
    if (type !== 'PEM') throw read.error('ssl.truststore.certificates', `certificates can be given inline only with ssl.truststore.type=PEM, but the trust store type is ${read.get('ssl.truststore.type') ?? 'JKS'}`);
    if (location !== null) throw read.error('ssl.truststore.certificates', 'both ssl.truststore.location and inline certificates are given; use one');
    if (password !== null) throw read.error('ssl.truststore.password', 'cannot be set with ssl.truststore.type=PEM');
    return { ca: certificatesPem(read, 'ssl.truststore.certificates', inline, 'the inline value') };
  }
  if (location === null) {
    if (password !== null) throw read.error('ssl.truststore.password', 'is set but ssl.truststore.location is not');
    return {}; // node's bundled CAs, as a JVM uses its cacerts
  }
  const data = read.readFile('ssl.truststore.location', location);
  const format = fileFormat(read, 'ssl.truststore.type', 'ssl.truststore.location', location, data);
  if (format === 'PEM') {
    if (password !== null) throw read.error('ssl.truststore.password', 'cannot be set with ssl.truststore.type=PEM');
    return { ca: certificatesPem(read, 'ssl.truststore.location', data.toString('utf8'), location) };
  }
  return { ca: pkcs12Certificates(read, location, data, password) };
}

/** Every certificate of a PKCS12 trust store, as PEM (keys, if any, are not read). */
function pkcs12Certificates(read: ListenerConfigs, path: string, data: Buffer, password: string | null): string[] {
  const forge = nodeForge();
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(data.toString('binary')));
    // A JVM opens a store without a password by skipping its integrity check; forge checks the
    // MAC whenever there is one, so without a password only an unprotected store opens.
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password ?? '');
  } catch (err) {
    const message = (err as Error).message;
    if (/MAC could not be verified|Invalid password/i.test(message)) {
      throw read.error('ssl.truststore.password', password === null ? `${path} is password-protected: set ssl.truststore.password` : `wrong password for ${path}`);
    }
    throw read.error('ssl.truststore.location', `cannot read the PKCS12 trust store ${path}: ${message}`);
  }
  const bags = p12.getBags({ bagType: forge.pki.oids['certBag']! })[forge.pki.oids['certBag']!] ?? [];
  const pems: string[] = [];
  for (const bag of bags) {
    if (bag.cert) pems.push(forge.pki.certificateToPem(bag.cert));
    else if (bag.asn1) {
      // forge parses RSA certificates only; others (EC) are passed on as their DER.
      const der = forge.asn1.toDer(bag.asn1).getBytes();
      pems.push(pemText({ label: 'CERTIFICATE', headers: [], base64: Buffer.from(der, 'binary').toString('base64') }));
    }
  }
  if (pems.length === 0) throw read.error('ssl.truststore.location', `no certificate in the PKCS12 trust store ${path}`);
  return pems;
}

// ---- client auth, protocols, ciphers --------------------------------------------------------

function clientAuthOf(read: ListenerConfigs, config: TlsConfigSource, warnings: string[]): SslClientAuth {
  const value = (read.get('ssl.client.auth') ?? 'none').toLowerCase();
  if (value !== 'none' && value !== 'requested' && value !== 'required') {
    throw read.error('ssl.client.auth', `"${value}" is not one of none, requested, required`);
  }
  // Kafka (ChannelBuilders): on a SASL_SSL listener only a listener-prefixed ssl.client.auth
  // turns client certificates on; the broker-wide one applies to SSL listeners.
  const protocol = config.securityProtocolMap.get(read.listenerName.toUpperCase());
  if (protocol === 'SASL_SSL' && read.nameOf('ssl.client.auth') === 'ssl.client.auth') {
    if (value !== 'none') {
      warnings.push(`ssl.client.auth=${value} applies only to SSL listeners; set listener.name.${read.listenerName.toLowerCase()}.ssl.client.auth to ask for client certificates on the SASL_SSL listener ${read.listenerName}`);
    }
    return 'none';
  }
  return value;
}

/** Java's protocol names: the ones TLS here serves, and the ones JVMs and OpenSSL now disable. */
const SERVED_PROTOCOLS: ReadonlyMap<string, tls.SecureVersion> = new Map([
  ['TLSv1.2', 'TLSv1.2'],
  ['TLSv1.3', 'TLSv1.3'],
]);
const DISABLED_PROTOCOLS: ReadonlySet<string> = new Set(['TLSv1', 'TLSv1.1', 'SSLv3', 'SSLv2Hello']);
/** SSLContext algorithm names a JVM knows (ssl.protocol); the context itself changes nothing here. */
const SSL_CONTEXT_PROTOCOLS: ReadonlySet<string> = new Set(['TLS', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'SSL', 'SSLv2', 'SSLv3', 'DTLS', 'DTLSv1.0', 'DTLSv1.2', 'Default']);

function protocolOptions(read: ListenerConfigs, warnings: string[]): Pick<tls.TlsOptions, 'minVersion' | 'maxVersion'> {
  const sslProtocol = read.get('ssl.protocol');
  if (sslProtocol !== null && !SSL_CONTEXT_PROTOCOLS.has(sslProtocol)) {
    throw read.error('ssl.protocol', `unknown protocol "${sslProtocol}"; use TLSv1.3, TLSv1.2 or TLS`);
  }
  const listed = splitList(read.get('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3');
  if (listed.length === 0) throw read.error('ssl.enabled.protocols', 'is empty; list TLSv1.2 and/or TLSv1.3');
  const served: tls.SecureVersion[] = [];
  const dropped: string[] = [];
  for (const name of listed) {
    const version = SERVED_PROTOCOLS.get(name);
    if (version !== undefined) served.push(version);
    else if (DISABLED_PROTOCOLS.has(name)) dropped.push(name);
    else throw read.error('ssl.enabled.protocols', `unsupported protocol "${name}"; use TLSv1.2 and/or TLSv1.3`);
  }
  if (served.length === 0) throw read.error('ssl.enabled.protocols', `${dropped.join(', ')} are disabled (insecure, refused by current JVMs and OpenSSL); enable TLSv1.2 and/or TLSv1.3`);
  if (dropped.length > 0) warnings.push(`${read.nameOf('ssl.enabled.protocols')} (listener ${read.listenerName}): ${dropped.join(', ')} left out (insecure; current JVMs disable them too)`);
  const has13 = served.includes('TLSv1.3');
  const has12 = served.includes('TLSv1.2');
  return { minVersion: has12 ? 'TLSv1.2' : 'TLSv1.3', maxVersion: has13 ? 'TLSv1.3' : 'TLSv1.2' };
}

/**
 * Java (IANA) cipher suite names and OpenSSL's. The TLS 1.3 suites have the same names in both.
 * These are the suites both a current JVM and Node's OpenSSL 3 offer.
 */
export const JAVA_TO_OPENSSL_CIPHERS: ReadonlyMap<string, string> = new Map([
  ['TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
  ['TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
  ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  ['TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384'],
  ['TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256'],
  ['TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
]);

/** TLS 1.3 suites (the same names in Java and OpenSSL); every other suite is for TLS 1.2. */
const TLS13_SUITES: ReadonlySet<string> = new Set(['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']);

/**
 * The node `ciphers` string for ssl.cipher.suites and which protocols its suites serve; null for
 * node's defaults (the list is empty).
 */
function cipherOptions(read: ListenerConfigs, warnings: string[]): { names: string; tls12: boolean; tls13: boolean } | null {
  const listed = splitList(read.get('ssl.cipher.suites') ?? '');
  if (listed.length === 0) return null;
  const names: string[] = [];
  for (const name of listed) {
    // Java lists this signalling value among suites; OpenSSL always does secure renegotiation.
    if (name === 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV') continue;
    const openssl = JAVA_TO_OPENSSL_CIPHERS.get(name);
    if (openssl === undefined) {
      const hint = /^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(name) ? ' (an OpenSSL name: give the Java/IANA name, as Kafka does, e.g. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)' : '';
      throw read.error('ssl.cipher.suites', `unsupported cipher suite "${name}"${hint}`);
    }
    names.push(openssl);
  }
  if (names.length === 0) {
    warnings.push(`${read.nameOf('ssl.cipher.suites')} (listener ${read.listenerName}): no cipher suite besides TLS_EMPTY_RENEGOTIATION_INFO_SCSV; node's defaults apply`);
    return null;
  }
  return { names: names.join(':'), tls12: names.some((n) => !TLS13_SUITES.has(n)), tls13: names.some((n) => TLS13_SUITES.has(n)) };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** OpenSSL's reason without node's stack: "error:1C800064:Provider routines::bad decrypt" -> "bad decrypt". */
function opensslMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /error:[0-9A-F]+:[^:]*:[^:]*:(.+)$/.exec(message);
  return (m ? m[1]! : message).split('\n')[0]!.trim();
}

function pkcs12Message(err: unknown): string {
  const message = opensslMessage(err);
  if (/mac verify failure|invalid password/i.test(message)) return 'wrong ssl.keystore.password (mac verify failure)';
  if (/unsupported/i.test(message)) return `${message} (a legacy algorithm such as RC2-40: re-export the file with AES, e.g. openssl pkcs12 -export without -legacy)`;
  return message;
}
