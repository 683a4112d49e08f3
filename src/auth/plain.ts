/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer and PlainServerCallbackHandler do it.
 *
 * One client token, `[authzid] NUL authcid NUL passwd` in UTF-8 (bad UTF-8 is decoded with
 * replacement chars, as Java's String does, so it can only fail as a wrong name or password).
 * Users come from the listener's JAAS config for PLAIN: options `user_<name>="<password>"` of the
 * PlainLoginModule entry. The password check hashes both sides and compares the digests with
 * timingSafeEqual, so neither the length nor the content of the expected password shows in the
 * time taken; an unknown user is checked against a dummy digest for the same reason.
 *
 * Every failure is Kafka's SaslAuthenticationException message, which the client shows as is.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkServerCallbackHandler, listenerJaasEntry, PLAIN_LOGIN_MODULE, parseServerJaasConfig, type JaasEntry, type ListenerConfigLookup } from './jaas.js';
import type { SaslContext, SaslMechanism, SaslServer, SaslStep } from './sasl.js';

export const PLAIN = 'PLAIN';

/** Kafka's PlainSaslServer messages, word for word. */
export const PLAIN_MESSAGES = {
  usernameNotSpecified: 'Authentication failed: username not specified',
  passwordNotSpecified: 'Authentication failed: password not specified',
  invalidCredentials: 'Authentication failed: Invalid username or password',
  authzidMismatch: 'Authentication failed: Client requested an authorization id that is different from username',
  tokenCount: (n: number): string => `Invalid SASL/PLAIN response: expected 3 tokens, got ${n}`,
} as const;

const JAAS_USER_PREFIX = 'user_';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const DUMMY_DIGEST = digest('\u0000not a password\u0000');

/**
 * Splits as PlainSaslServer.extractTokens: at most four pieces at NULs; anything but three is
 * refused with the count.
 */
function plainTokens(message: string): string[] | number {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i < 4; i++) {
    const end = message.indexOf('\u0000', start);
    if (end < 0) {
      tokens.push(message.slice(start));
      break;
    }
    tokens.push(message.slice(start, end));
    start = end + 1;
  }
  return tokens.length === 3 ? tokens : tokens.length;
}

class PlainServer implements SaslServer {
  readonly mechanism = PLAIN;
  private done = false;

  constructor(private readonly users: ReadonlyMap<string, Buffer>) {}

  evaluate(token: Buffer): SaslStep {
    // PLAIN is one message; a connection that asks again after the answer is misbehaving.
    if (this.done) return { kind: 'failed', message: 'Authentication failed: PLAIN exchange already completed' };
    this.done = true;
    const tokens = plainTokens(token.toString('utf8'));
    if (typeof tokens === 'number') return { kind: 'failed', message: PLAIN_MESSAGES.tokenCount(tokens) };
    const [authzid, username, password] = tokens as [string, string, string];
    if (username === '') return { kind: 'failed', message: PLAIN_MESSAGES.usernameNotSpecified };
    if (password === '') return { kind: 'failed', message: PLAIN_MESSAGES.passwordNotSpecified };
    const expected = this.users.get(username);
    const matches = timingSafeEqual(digest(password), expected ?? DUMMY_DIGEST);
    if (expected === undefined || !matches) return { kind: 'failed', message: PLAIN_MESSAGES.invalidCredentials };
    if (authzid !== '' && authzid !== username) return { kind: 'failed', message: PLAIN_MESSAGES.authzidMismatch };
    return { kind: 'complete', response: Buffer.alloc(0), principal: `User:${username}` };
  }
}

/** PLAIN against a fixed set of users (name -> password). */
export function plainMechanism(users: ReadonlyMap<string, string>): SaslMechanism {
  const digests = new Map<string, Buffer>();
  for (const [name, password] of users) digests.set(name, digest(password));
  return {
    name: PLAIN,
    create(_ctx: SaslContext): SaslServer {
      return new PlainServer(digests);
    },
  };
}

/**
 * The users of a listener's JAAS config for PLAIN (`user_<name>="<password>"`), e.g. from
 * `config.listenerGet(listener, 'sasl.jaas.config', 'PLAIN')`. As in Kafka the property must hold
 * exactly one login module, and only a PlainLoginModule entry's options count: any other module
 * leaves the listener with no PLAIN users (Kafka starts so and refuses every PLAIN login).
 */
export function plainUsersFromJaas(jaasText: string, source = 'sasl.jaas.config'): Map<string, string> {
  return plainUsersOf(parseServerJaasConfig(jaasText, source));
}

function plainUsersOf(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>();
  if (entry.loginModule !== PLAIN_LOGIN_MODULE) return users;
  for (const [key, password] of entry.options) {
    if (key.startsWith(JAAS_USER_PREFIX)) users.set(key.slice(JAAS_USER_PREFIX.length), password);
  }
  return users;
}

/** Kafka's default PLAIN server callback handler, the only one Sluice has. */
export const PLAIN_SERVER_CALLBACK_HANDLER = 'org.apache.kafka.common.security.plain.internals.PlainServerCallbackHandler';

/**
 * PLAIN for one listener from its config, e.g.
 * `plainMechanismForListener((n) => config.listenerGet(listener, n, 'PLAIN'), listener)`.
 * ConfigError when the JAAS config is missing or bad, or a custom callback handler is set.
 */
export function plainMechanismForListener(lookup: ListenerConfigLookup, listenerName: string): SaslMechanism {
  checkServerCallbackHandler(lookup, listenerName, PLAIN, [PLAIN_SERVER_CALLBACK_HANDLER]);
  return plainMechanism(plainUsersOf(listenerJaasEntry(lookup, listenerName, PLAIN)));
}
