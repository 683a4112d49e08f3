/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), the server side, as Kafka's
 * ScramSaslServer runs it, plus the credential arithmetic the controller, `sluice format
 * --add-scram` and tests share.
 *
 * The exchange, one SaslServer per authentication:
 *   client-first  "n,[a=<authzid>],n=<saslname>,r=<client nonce>[,<ext>=<value>...]"
 *   server-first  "r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>"
 *   client-final  "c=<base64 gs2 header>,r=<nonce>,p=<base64 ClientProof>"
 *   server-final  "v=<base64 ServerSignature>"
 * The broker keeps only {salt, StoredKey, ServerKey, iterations} (never the password): it checks
 * that H(ClientProof XOR HMAC(StoredKey, AuthMessage)) equals StoredKey, in constant time, and
 * proves itself with HMAC(ServerKey, AuthMessage).
 *
 * Where this differs from Kafka, on purpose:
 * - An unknown user gets a server-first message built from a fake credential derived from the
 *   user name (the same salt every time, Kafka's default 4096 iterations) and fails at the final
 *   message exactly as a wrong password does. Kafka fails an unknown user at the first message,
 *   which tells a prober which user names exist.
 * - The gs2 header may be "y,," as well as "n,," (RFC 5802: the client could bind but thinks we
 *   cannot, which is true: no -PLUS mechanism is offered); "p=" (channel binding) is refused.
 *   The client-final "c=" must be the base64 of the client's own gs2 header ("biws" for "n,,"),
 *   and its nonce must be the combined nonce exactly (Kafka 4.x's check: librdkafka before 2.6.1,
 *   which puts its own nonce in front of it again, is refused by both).
 * - AuthMessage is built from the bytes the client sent (RFC 5802), where Kafka rebuilds it from
 *   the parsed fields; the two agree for every client that sends at most one extension.
 * - A client-first with `tokenauth=true` (a delegation token) is refused with a message saying so:
 *   Sluice has no delegation tokens.
 *
 * What clients see on failure is Kafka's wording (SaslServerAuthenticator): a malformed message, an
 * unknown user or a wrong password all read "Authentication failed during authentication due to
 * invalid credentials with SASL mechanism SCRAM-SHA-256"; only the authorization-id mismatch has a
 * message of its own, as in Kafka. The precise reason is kept in `failureReason` for the log.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../config/config-error.js';
import type { MetadataImage } from '../metadata/image.js';
import type { UserScramCredentialRecord } from '../metadata/records.js';
import type { SaslContext, SaslMechanism, SaslServer, SaslStep } from './sasl.js';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** What the broker stores per user and mechanism (Kafka's ScramCredential / UserScramCredentialRecord). */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

export type ScramCredentialLookup = (user: string, mechanism: ScramMechanismName) => ScramCredential | undefined;

interface MechanismInfo {
  readonly name: ScramMechanismName;
  /** Kafka's ScramMechanism type byte, as in AlterUserScramCredentials and the metadata records. */
  readonly type: number;
  readonly hash: 'sha256' | 'sha512';
  readonly hashBytes: number;
}

const MECHANISMS: readonly MechanismInfo[] = [
  { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', hashBytes: 32 },
  { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', hashBytes: 64 },
];

/** Kafka's ScramMechanism.minIterations (both mechanisms) and the controller's MAX_ITERATIONS. */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;

export const SCRAM_MECHANISM_NAMES: readonly ScramMechanismName[] = MECHANISMS.map((m) => m.name);

function info(name: ScramMechanismName): MechanismInfo {
  const m = MECHANISMS.find((x) => x.name === name);
  if (!m) throw new Error(`not a SCRAM mechanism: ${name}`);
  return m;
}

/** The wire type of a mechanism (1 for SCRAM-SHA-256, 2 for SCRAM-SHA-512). */
export function scramMechanismType(name: ScramMechanismName): number {
  return info(name).type;
}

/** The mechanism a wire type names; undefined for 0 (Kafka's UNKNOWN) or anything else. */
export function scramMechanismOfType(type: number): ScramMechanismName | undefined {
  return MECHANISMS.find((m) => m.type === type)?.name;
}

export function isScramMechanism(name: string): name is ScramMechanismName {
  return MECHANISMS.some((m) => m.name === name);
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC, one block. */
export function scramSaltedPassword(mechanism: ScramMechanismName, password: string, salt: Buffer, iterations: number): Buffer {
  const m = info(mechanism);
  // Kafka takes the password's UTF-8 bytes as they are (no SASLprep); so do its clients.
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m.hashBytes, m.hash);
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials sends). */
export function scramCredentialFromSaltedPassword(mechanism: ScramMechanismName, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  const m = info(mechanism);
  const clientKey = hmac(m, saltedPassword, 'Client Key');
  return {
    salt,
    storedKey: createHash(m.hash).update(clientKey).digest(),
    serverKey: hmac(m, saltedPassword, 'Server Key'),
    iterations,
  };
}

/**
 * A credential for `password`. Without `salt`, a fresh one shaped like Kafka's (the UTF-8 of a
 * random 130-bit number in base 36). Refuses fewer than Kafka's minimum of 4096 iterations.
 */
export function scramCredential(mechanism: ScramMechanismName, password: string, iterations: number, salt?: Buffer): ScramCredential {
  if (!Number.isInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN) {
    throw new Error(`Iterations ${iterations} is less than the minimum ${SCRAM_ITERATIONS_MIN} for ${mechanism}`);
  }
  const s = salt ?? randomScramSalt();
  return scramCredentialFromSaltedPassword(mechanism, s, scramSaltedPassword(mechanism, password, s, iterations), iterations);
}

/** Kafka's ScramFormatter.secureRandomBytes: a random 130-bit number in base 36, as UTF-8. */
export function randomScramSalt(): Buffer {
  return Buffer.from(randomBase36(), 'utf8');
}

function randomBase36(): string {
  const b = randomBytes(17);
  b[0]! &= 0x03; // 130 bits
  return BigInt('0x' + b.toString('hex')).toString(36);
}

/** A user name as it goes on the wire: "=" -> "=3D", "," -> "=2C" (RFC 5802 saslname). */
export function scramSaslName(username: string): string {
  return username.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/** The user a saslname names; throws on an "=" not starting "=2C" or "=3D" (Kafka's ScramFormatter.username). */
export function scramUsername(saslName: string): string {
  const commas = saslName.replaceAll('=2C', ',');
  if (commas.replaceAll('=3D', '').includes('=')) throw new Error(`Invalid username: ${saslName}`);
  return commas.replaceAll('=3D', '=');
}

// Kafka's grammar (ScramMessages), as regular expressions over the UTF-8 text of a message.
const VALUE = "[\\x01-\\x2B\\x2D-\\x7F]+"; // any 7-bit char but NUL and ","
const PRINTABLE = "[\\x21-\\x2B\\x2D-\\x7E]+"; // printable but ","
const SASLNAME = "(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+";
const BASE64 = "(?:[a-zA-Z0-9/+]{4})*(?:[a-zA-Z0-9/+]{3}=|[a-zA-Z0-9/+]{2}==)?";
const EXTENSIONS = `((?:,[A-Za-z]+=${VALUE})*)`;
const CLIENT_FIRST = new RegExp(`^([ny]),(?:a=(${SASLNAME}))?,((?:m=${VALUE},)?n=(${SASLNAME}),r=(${PRINTABLE})${EXTENSIONS})$`);
const CLIENT_FINAL = new RegExp(`^(c=(${BASE64}),r=(${PRINTABLE})${EXTENSIONS}),p=(${BASE64})$`);

/** Kafka's SaslServerAuthenticator answer to any SaslException: it names no reason, so as not to tell whether the user exists. */
export function invalidCredentialsMessage(mechanism: string): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}
const AUTHZID_MISMATCH = 'Authentication failed: Client requested an authorization id that is different from username';
const TOKEN_AUTH_REFUSED = 'Authentication failed: delegation token authentication (tokenauth=true) is not supported by this broker';

/** The extensions of a client-first message (",k=v,k=v"), Kafka's ScramExtensions. */
function parseExtensions(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

type State =
  | { kind: 'client-first' }
  | {
      kind: 'client-final';
      user: string;
      gs2Header: string;
      clientFirstBare: string;
      serverFirst: string;
      nonce: string;
      credential: ScramCredential;
    }
  | { kind: 'done' };

export class ScramSaslServer implements SaslServer {
  private state: State = { kind: 'client-first' };
  /** Why the last exchange failed, for the broker's log (never sent to the client). */
  failureReason: string | null = null;
  private readonly m: MechanismInfo;

  constructor(
    readonly mechanism: ScramMechanismName,
    private readonly lookup: ScramCredentialLookup,
    private readonly fakeCredential: (user: string) => ScramCredential,
    // Alphanumeric, as Kafka's (a random 130-bit number in base 36).
    private readonly serverNonce: () => string = () => BigInt(`0x${randomBytes(17).toString('hex')}`).toString(36),
  ) {
    this.m = info(mechanism);
  }

  evaluate(token: Buffer): SaslStep {
    const state = this.state;
    this.state = { kind: 'done' };
    switch (state.kind) {
      case 'client-first':
        return this.clientFirst(token);
      case 'client-final':
        return this.clientFinal(token, state);
      case 'done':
        return this.fail(`Unexpected challenge in Sasl server state ${this.failureReason === null ? 'COMPLETE' : 'FAILED'}`);
    }
  }

  private fail(reason: string, message = invalidCredentialsMessage(this.mechanism)): SaslStep {
    this.failureReason = reason;
    return { kind: 'failed', message };
  }

  private clientFirst(token: Buffer): SaslStep {
    const text = token.toString('utf8');
    const match = CLIENT_FIRST.exec(text);
    if (!match) {
      return this.fail(text.startsWith('p=') ? 'SCRAM channel binding (p=) is not supported' : `Invalid SCRAM client first message format: ${text}`);
    }
    const [, gs2Flag, authzid, clientFirstBare, saslName, clientNonce, extensionText] = match as unknown as [string, string, string | undefined, string, string, string, string];
    let user: string;
    try {
      user = scramUsername(saslName);
    } catch (e) {
      return this.fail((e as Error).message);
    }
    if (parseExtensions(extensionText).get('tokenauth')?.toLowerCase() === 'true') {
      return this.fail('delegation token authentication requested', TOKEN_AUTH_REFUSED);
    }
    if (authzid !== undefined && authzid !== '' && scramUsernameOrNull(authzid) !== user) {
      return this.fail('authorization id differs from the user name', AUTHZID_MISMATCH);
    }
    // The fake is made for every user, known or not, so the two take the same time.
    const fake = this.fakeCredential(user);
    const credential = this.lookup(user, this.mechanism) ?? fake;
    if (credential.iterations < SCRAM_ITERATIONS_MIN) {
      return this.fail(`Iterations ${credential.iterations} is less than the minimum ${SCRAM_ITERATIONS_MIN} for ${this.mechanism}`);
    }
    const nonce = clientNonce + this.serverNonce();
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    const gs2Header = `${gs2Flag},${authzid === undefined ? '' : `a=${authzid}`},`;
    this.state = { kind: 'client-final', user, gs2Header, clientFirstBare, serverFirst, nonce, credential };
    return { kind: 'continue', response: Buffer.from(serverFirst, 'utf8') };
  }

  private clientFinal(token: Buffer, s: Extract<State, { kind: 'client-final' }>): SaslStep {
    const text = token.toString('utf8');
    const match = CLIENT_FINAL.exec(text);
    if (!match) return this.fail(`Invalid SCRAM client final message format: ${text}`);
    const [, withoutProof, channel, nonce, , proofText] = match as unknown as [string, string, string, string, string, string];
    if (Buffer.from(channel, 'base64').toString('utf8') !== s.gs2Header) return this.fail('Invalid channel binding in the final client message.');
    // The nonce must be the combined one exactly (RFC 5802), as Kafka 4.x's ScramSaslServer checks
    // it (String.equals in kafka-clients 4.1.1; 3.x checked only the end). librdkafka before 2.6.1
    // sends its own nonce again in front (librdkafka#4895) and is refused, by Kafka 4.x too.
    if (nonce !== s.nonce) return this.fail('Invalid client nonce in the final client message.');
    const proof = Buffer.from(proofText, 'base64');
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.m, s.credential.storedKey, authMessage);
    // A proof of the wrong length is compared as zeros of the right length: the same work either way.
    const clientKey = xor(clientSignature, proof.length === clientSignature.length ? proof : Buffer.alloc(clientSignature.length));
    const computedStoredKey = createHash(this.m.hash).update(clientKey).digest();
    const equal = computedStoredKey.length === s.credential.storedKey.length && timingSafeEqual(computedStoredKey, s.credential.storedKey);
    if (!equal || proof.length !== clientSignature.length) return this.fail('Invalid client credentials');
    const serverSignature = hmac(this.m, s.credential.serverKey, authMessage);
    return { kind: 'complete', response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), principal: `User:${s.user}` };
  }
}

function scramUsernameOrNull(saslName: string): string | null {
  try {
    return scramUsername(saslName);
  } catch {
    return null;
  }
}

function hmac(m: MechanismInfo, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(m.hash, key).update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * The SCRAM mechanism `name` with credentials from `lookup` (the metadata image's, on a broker).
 * Fake credentials for unknown users are derived from a secret made once per mechanism object, so
 * a user name gets the same salt on every attempt, as a real user does. `serverNonce` is for
 * tests that replay a known exchange (RFC 7677's); the default is 144 random bits.
 */
export function scramMechanism(name: ScramMechanismName, lookup: ScramCredentialLookup, options: { serverNonce?: () => string } = {}): SaslMechanism {
  const m = info(name);
  const secret = randomBytes(32);
  const fakeCredential = (user: string): ScramCredential => {
    const derive = (label: string): Buffer => createHmac('sha256', secret).update(`${label}\0${user}`).digest();
    // Shaped like Kafka's salts: a base-36 number of up to 130 bits, as UTF-8.
    const saltBits = derive('salt').subarray(0, 17);
    saltBits[0]! &= 0x03;
    const salt = Buffer.from(BigInt('0x' + saltBits.toString('hex')).toString(36), 'utf8');
    const keys = createHmac(m.hash, secret).update(`keys\0${user}`).digest();
    return { salt, storedKey: createHash(m.hash).update(keys).digest(), serverKey: keys, iterations: SCRAM_ITERATIONS_MIN };
  };
  return {
    name,
    create(_ctx: SaslContext): SaslServer {
      return new ScramSaslServer(name, lookup, fakeCredential, options.serverNonce);
    },
  };
}

/** Where a broker's SCRAM servers find credentials: its metadata image (kept current by the metadata log). */
export function imageScramLookup(image: MetadataImage): ScramCredentialLookup {
  return (user, mechanism) => image.scramCredentials.get(user)?.get(mechanism);
}

/**
 * One `--add-scram` argument of `sluice format`, as kafka-storage reads it (Kafka's ScramParser):
 * `SCRAM-SHA-256=[name=alice,password=alice-secret]`, or with `iterations=8192` (default 4096,
 * 4096-16384), `salt=<base64>` (default: random), or `saltedpassword=<base64>` with `salt` instead
 * of a password. A value may be in double quotes. Throws ConfigError with Kafka's message.
 */
export function parseAddScram(argument: string): UserScramCredentialRecord {
  const input = argument.trim();
  const eq = input.indexOf('=');
  if (eq < 0) throw new ConfigError(`Failed to find equals sign in SCRAM argument '${input}'`);
  const mechanism = input.slice(0, eq);
  const config = input.slice(eq + 1);
  if (!isScramMechanism(mechanism)) throw new ConfigError(`The add-scram mechanism ${mechanism} is not supported.`);
  if (!config.startsWith('[')) throw new ConfigError('Expected configuration string to start with [');
  if (!config.endsWith(']')) throw new ConfigError('Expected configuration string to end with ]');
  const components = new Map<string, string>();
  for (const part of config.slice(1, -1).split(',')) {
    const i = part.indexOf('=');
    if (i < 0) throw new ConfigError(`No equals sign found in SCRAM component: ${part}`);
    let value = part.slice(i + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    components.set(part.slice(0, i), value);
  }
  const take = (key: string): string | undefined => {
    const v = components.get(key);
    components.delete(key);
    return v;
  };
  const name = take('name');
  if (name === undefined) throw new ConfigError("You must supply 'name' to add-scram");
  const saltText = take('salt');
  const salt = saltText === undefined ? randomScramSalt() : strictBase64(saltText, `Failed to decode given salt: ${saltText}`);
  const iterationsText = take('iterations');
  const iterations = iterationsText === undefined ? SCRAM_ITERATIONS_MIN : Number(iterationsText);
  if (iterationsText !== undefined && !/^[+-]?[0-9]+$/.test(iterationsText)) throw new ConfigError(`Failed to parse iterations count: ${iterationsText}`);
  const password = take('password');
  const saltedPasswordText = take('saltedpassword');
  if (password === undefined) {
    if (saltedPasswordText === undefined) throw new ConfigError("You must supply one of 'password' or 'saltedpassword' to add-scram");
    if (saltText === undefined) throw new ConfigError("You must supply 'salt' with 'saltedpassword' to add-scram");
  }
  if (components.size > 0) throw new ConfigError(`Unknown SCRAM configurations: ${[...components.keys()].sort().join(', ')}`);
  if (iterations < SCRAM_ITERATIONS_MIN) throw new ConfigError(`The 'iterations' value must be >= ${SCRAM_ITERATIONS_MIN} for add-scram using ${mechanism}`);
  if (iterations > SCRAM_ITERATIONS_MAX) throw new ConfigError(`The 'iterations' value must be <= ${SCRAM_ITERATIONS_MAX} for add-scram using ${mechanism}`);
  const saltedPassword =
    password !== undefined
      ? scramSaltedPassword(mechanism, password, salt, iterations)
      : strictBase64(saltedPasswordText!, `Failed to decode given saltedPassword: ${saltedPasswordText}`);
  const c = scramCredentialFromSaltedPassword(mechanism, salt, saltedPassword, iterations);
  return {
    type: 'UserScramCredential',
    name,
    mechanism,
    salt: c.salt.toString('base64'),
    storedKey: c.storedKey.toString('base64'),
    serverKey: c.serverKey.toString('base64'),
    iterations,
  };
}

/** Standard base64, padding optional, as Java's Base64.getDecoder accepts; anything else throws ConfigError. */
function strictBase64(text: string, message: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) throw new ConfigError(message);
  return Buffer.from(text, 'base64');
}
