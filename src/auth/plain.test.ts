/**
 * SASL/PLAIN. Every outcome here was checked against Kafka 4.1.1's PlainSaslServer with its
 * PlainServerCallbackHandler (same JAAS text, same token bytes, driven from a scratch Java program
 * that is not kept): same success, same failure message.
 */
import t from 'tap';
import { ConfigError } from '../config/config-error.js';
import { PLAIN, PLAIN_MESSAGES, PLAIN_SERVER_CALLBACK_HANDLER, plainMechanism, plainMechanismForListener, plainUsersFromJaas } from './plain.js';
import type { SaslStep } from './sasl.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required '
  + 'username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice pw" user_u\u00e9="p\u00e9";';
const mechanism = plainMechanism(plainUsersFromJaas(JAAS));
const ctx = { listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' };
const once = (token: Buffer | string): SaslStep =>
  mechanism.create(ctx).evaluate(typeof token === 'string' ? Buffer.from(token, 'utf8') : token);
const failed = (message: string): SaslStep => ({ kind: 'failed', message });
const ok = (name: string): SaslStep => ({ kind: 'complete', response: Buffer.alloc(0), principal: `User:${name}` });

t.test('the mechanism is named PLAIN', async (t) => {
  t.equal(mechanism.name, 'PLAIN');
  t.equal(mechanism.create(ctx).mechanism, PLAIN);
});

t.test('users come from user_<name> options of the PlainLoginModule entry', async (t) => {
  t.same([...plainUsersFromJaas(JAAS)], [['admin', 'admin-secret'], ['alice', 'alice pw'], ['u\u00e9', 'p\u00e9']]);
  // Kafka looks options up only in PlainLoginModule entries: another module authenticates nobody.
  t.same([...plainUsersFromJaas('org.apache.kafka.common.security.scram.ScramLoginModule required user_admin="x";')], []);
  t.throws(() => plainUsersFromJaas('a required; b required;', 'listener.name.sasl_ssl.plain.sasl.jaas.config'),
    new ConfigError('listener.name.sasl_ssl.plain.sasl.jaas.config: JAAS config property contains 2 login modules, should be 1 module'));
  t.throws(() => plainUsersFromJaas('org.apache.kafka.common.security.plain.PlainLoginModule required user_admin=admin secret;'), ConfigError);
});

t.test('a good exchange completes in one step with an empty response', async (t) => {
  t.same(once('\0admin\0admin-secret'), ok('admin'));
  t.same(once('\0alice\0alice pw'), ok('alice'));
  t.same(once('\0u\u00e9\0p\u00e9'), ok('u\u00e9'), 'UTF-8 names and passwords');
});

t.test('an authorization id equal to the user is accepted; another is refused', async (t) => {
  t.same(once('admin\0admin\0admin-secret'), ok('admin'));
  t.same(once('alice\0admin\0admin-secret'), failed(PLAIN_MESSAGES.authzidMismatch));
  t.equal(PLAIN_MESSAGES.authzidMismatch, 'Authentication failed: Client requested an authorization id that is different from username');
});

t.test('a wrong password and an unknown user get the same message', async (t) => {
  const message = 'Authentication failed: Invalid username or password';
  t.same(once('\0admin\0wrong'), failed(message));
  t.same(once('\0admin\0admin-secre'), failed(message), 'a prefix of the password');
  t.same(once('\0admin\0admin-secret2'), failed(message), 'the password and more');
  t.same(once('\0bob\0admin-secret'), failed(message));
  t.same(once('\0username\0admin'), failed(message), 'the JAAS login options are no users');
  // Checked before the authorization id: a wrong password never learns about the authzid rule.
  t.same(once('alice\0admin\0wrong'), failed(message));
});

t.test('empty username or password', async (t) => {
  t.same(once('\0\0pw'), failed('Authentication failed: username not specified'));
  t.same(once('\0admin\0'), failed('Authentication failed: password not specified'));
  t.same(once('\0\0'), failed('Authentication failed: username not specified'));
});

t.test('malformed tokens: the NUL count', async (t) => {
  t.same(once(''), failed('Invalid SASL/PLAIN response: expected 3 tokens, got 1'), 'empty');
  t.same(once('adminadmin-secret'), failed('Invalid SASL/PLAIN response: expected 3 tokens, got 1'), 'no NULs');
  t.same(once('\0admin'), failed('Invalid SASL/PLAIN response: expected 3 tokens, got 2'));
  t.same(once('\0admin\0admin-secret\0'), failed('Invalid SASL/PLAIN response: expected 3 tokens, got 4'));
  t.same(once('\0admin\0admin-secret\0\0\0'), failed('Invalid SASL/PLAIN response: expected 3 tokens, got 4'), 'never counts past 4');
});

t.test('bad UTF-8 decodes with replacement chars and fails as a wrong name or password', async (t) => {
  t.same(once(Buffer.concat([Buffer.from('\0u'), Buffer.from([0xff]), Buffer.from('\0p\u00e9')])), failed(PLAIN_MESSAGES.invalidCredentials));
  t.same(once(Buffer.concat([Buffer.from('\0admin\0admin-secre'), Buffer.from([0xc3])])), failed(PLAIN_MESSAGES.invalidCredentials));
});

t.test('a huge token is refused without trouble', async (t) => {
  const big = Buffer.alloc(1 << 20, 0x61);
  t.same(once(big), failed('Invalid SASL/PLAIN response: expected 3 tokens, got 1'));
  const bigPassword = Buffer.concat([Buffer.from('\0admin\0'), big]);
  t.same(once(bigPassword), failed(PLAIN_MESSAGES.invalidCredentials));
  const bigUser = Buffer.concat([Buffer.from('\0'), big, Buffer.from('\0admin-secret')]);
  t.same(once(bigUser), failed(PLAIN_MESSAGES.invalidCredentials));
});

t.test('each authentication gets its own server; a server answers one exchange', async (t) => {
  const server = mechanism.create(ctx);
  t.same(server.evaluate(Buffer.from('\0admin\0admin-secret')), ok('admin'));
  t.equal(server.evaluate(Buffer.from('\0admin\0admin-secret')).kind, 'failed');
  t.same(mechanism.create(ctx).evaluate(Buffer.from('\0admin\0admin-secret')), ok('admin'));
});

t.test('a mechanism with no users refuses everyone', async (t) => {
  t.same(plainMechanism(new Map()).create(ctx).evaluate(Buffer.from('\0admin\0admin-secret')), failed(PLAIN_MESSAGES.invalidCredentials));
});

t.test('the password check takes about as long whatever is wrong (digests compared in constant time)', async (t) => {
  // Not a timing proof (a shared machine is noisy), but a guard against an early return on the
  // first differing char or on an unknown user: the medians must be within a factor of 3.
  const long = 'x'.repeat(4096);
  const users = new Map([['admin', long]]);
  const m = plainMechanism(users);
  // Interleaved, so a burst of load on the shared machine hits all three alike.
  const tokens = [`\0admin\0y${long.slice(1)}`, `\0admin\0${long.slice(1)}y`, `\0nobody\0${long}`].map((s) => Buffer.from(s));
  const times: number[][] = [[], [], []];
  for (let i = 0; i < 301; i++) {
    tokens.forEach((token, k) => {
      const start = process.hrtime.bigint();
      m.create(ctx).evaluate(token);
      times[k]!.push(Number(process.hrtime.bigint() - start));
    });
  }
  const [firstCharWrong, lastCharWrong, unknownUser] = times.map((ts) => ts.sort((a, b) => a - b)[150]!) as [number, number, number];
  const ratio = (a: number, b: number): number => Math.max(a, b) / Math.min(a, b);
  t.ok(ratio(firstCharWrong, lastCharWrong) < 3, `first ${firstCharWrong} ns vs last ${lastCharWrong} ns`);
  t.ok(ratio(firstCharWrong, unknownUser) < 3, `wrong password ${firstCharWrong} ns vs unknown user ${unknownUser} ns`);
});

t.test('PLAIN for a listener from its config', async (t) => {
  const config = (values: Record<string, string>) => (name: string): string | null => values[name] ?? null;
  const m = plainMechanismForListener(config({ 'sasl.jaas.config': JAAS }), 'SASL_SSL');
  t.same(m.create(ctx).evaluate(Buffer.from('\0alice\0alice pw')), ok('alice'));
  t.same(plainMechanismForListener(config({ 'sasl.jaas.config': JAAS, 'sasl.server.callback.handler.class': PLAIN_SERVER_CALLBACK_HANDLER }), 'SASL_SSL')
    .create(ctx).evaluate(Buffer.from('\0admin\0admin-secret')), ok('admin'), "Kafka's default handler named explicitly");
  t.throws(() => plainMechanismForListener(config({}), 'SASL_SSL'), new ConfigError(
    "listener.name.sasl_ssl.plain.sasl.jaas.config: Could not find a 'KafkaServer' or 'sasl_ssl.KafkaServer' entry in the JAAS configuration. "
    + "System property 'java.security.auth.login.config' is not set (Sluice reads JAAS only from sasl.jaas.config: set listener.name.sasl_ssl.plain.sasl.jaas.config)"));
  t.throws(() => plainMechanismForListener(config({ 'sasl.jaas.config': JAAS, 'sasl.server.callback.handler.class': 'com.example.LdapHandler' }), 'SASL_SSL'),
    /listener\.name\.sasl_ssl\.plain\.sasl\.server\.callback\.handler\.class: com\.example\.LdapHandler is not supported/);
  t.throws(() => plainMechanismForListener(config({ 'sasl.jaas.config': 'a required k=5;' }), 'SASL_SSL'),
    new ConfigError("listener.name.sasl_ssl.plain.sasl.jaas.config: Value not specified for key 'k' in JAAS config"));
});

t.test('fuzz: random tokens only ever fail with one of Kafka\'s messages', async (t) => {
  let seed = 0x9a1;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const known = new Set<string>([PLAIN_MESSAGES.usernameNotSpecified, PLAIN_MESSAGES.passwordNotSpecified,
    PLAIN_MESSAGES.invalidCredentials, PLAIN_MESSAGES.authzidMismatch, ...[1, 2, 4].map(PLAIN_MESSAGES.tokenCount)]);
  let unexpected = 0;
  for (let i = 0; i < 3000; i++) {
    // Mostly NULs and a few letters, so every branch is reached.
    const token = Buffer.from(Array.from({ length: rand(12) }, () => (rand(3) === 0 ? 0 : 0x61 + rand(3))));
    const step = once(token);
    if (step.kind === 'failed' ? !known.has(step.message) : step.kind !== 'complete') unexpected++;
  }
  t.equal(unexpected, 0);
});
