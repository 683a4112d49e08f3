/**
 * SASL/OAUTHBEARER with the unsecured JWS validator. The outcomes were checked against Kafka
 * 4.1.1's OAuthBearerSaslServer with OAuthBearerUnsecuredValidatorCallbackHandler at a fixed clock
 * (same JAAS text, same token bytes, from a scratch Java program that is not kept), including the
 * JSON error tokens and the lifetimes; the few places we differ on purpose are tested as such.
 */
import t from 'tap';
import { ConfigError } from '../config/config-error.js';
import {
  OAUTHBEARER, oauthBearerMechanism, oauthBearerMechanismForListener, oauthJsonError, parseClientInitialResponse, unsecuredJwsValidator,
  unsecuredValidatorFromJaas, unsecuredValidatorOptions, type TokenValidator,
} from './oauthbearer.js';
import type { SaslContext, SaslStep } from './sasl.js';

const NOW = 1_700_000_000_000;
const S = NOW / 1000;
const JAAS = (options = ''): string =>
  `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="x" ${options};`;
const ctx: SaslContext = { listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' };
const GENERIC = 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER';
const INVALID = '{"status":"invalid_token"}';

/** Kafka decodes with the basic Base64 alphabet: unpadded standard Base64 is what it takes. */
const b64 = (o: unknown): string => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64').replace(/=+$/, '');
const jws = (claims: unknown, header: unknown = { alg: 'none' }, signature = ''): string => `${b64(header)}.${b64(claims)}.${signature}`;
const initial = (token: string, o: { authzid?: string; extensions?: string } = {}): Buffer =>
  Buffer.from(`n,${o.authzid !== undefined ? `a=${o.authzid}` : ''},\x01auth=Bearer ${token}\x01${o.extensions ?? ''}\x01`, 'utf8');
const KVSEP = Buffer.from([0x01]);

function run(tokens: Buffer[], jaasOptions = '', validator?: TokenValidator): SaslStep[] {
  const mechanism = oauthBearerMechanism({ validator: validator ?? unsecuredValidatorFromJaas(JAAS(jaasOptions)), now: () => NOW });
  const server = mechanism.create(ctx);
  const steps: SaslStep[] = [];
  for (const token of tokens) {
    const step = server.evaluate(token);
    steps.push(step);
    if (step.kind !== 'continue') break;
  }
  return steps;
}

const done = (principal: string, expiresMs: number): SaslStep =>
  ({ kind: 'complete', response: Buffer.alloc(0), principal: `User:${principal}`, credentialExpiresMs: expiresMs });
const refusedWith = (json: string): SaslStep[] =>
  [{ kind: 'continue', response: Buffer.from(json, 'utf8') }, { kind: 'failed', message: json }];

/** The validator's reason for refusing a token (logged by the broker, never sent). */
function reason(token: string, jaasOptions = ''): string {
  const v = unsecuredJwsValidator(unsecuredValidatorOptions(new Map(Object.entries(Object.fromEntries(
    [...jaasOptions.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))))));
  const r = v.validate(token, NOW);
  return r.ok ? 'accepted' : r.reason;
}

const good = { sub: 'alice', exp: S + 3600, iat: S - 10 };

t.test('the mechanism is named OAUTHBEARER', async (t) => {
  const m = oauthBearerMechanism({ validator: unsecuredValidatorFromJaas(JAAS()) });
  t.equal(m.name, OAUTHBEARER);
  t.equal(m.create(ctx).mechanism, 'OAUTHBEARER');
});

t.test('a good token completes at once with exp as the credential lifetime', async (t) => {
  t.same(run([initial(jws(good))]), [done('alice', (S + 3600) * 1000)]);
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10.5 }))]), [done('alice', NOW + 10_500)], 'fractional seconds');
  t.same(run([initial(jws({ sub: 'al\u00e9', exp: S + 10, extra: { a: 1 } }))]), [done('al\u00e9', NOW + 10_000)], 'UTF-8 claims, nested claims ignored');
  const scheme = Buffer.from(`n,,\x01auth=bEaReR ${jws(good)}\x01\x01`);
  t.same(run([scheme]), [done('alice', (S + 3600) * 1000)], 'the scheme in any case');
});

t.test('authorization id: the principal or nothing', async (t) => {
  t.same(run([initial(jws(good), { authzid: 'alice' })]), [done('alice', (S + 3600) * 1000)]);
  t.same(run([initial(jws(good), { authzid: 'bob' })]), [{
    kind: 'failed',
    message: "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)",
  }]);
  // Kafka compares the authzid with its =2C escape still in it.
  t.equal(run([initial(jws({ sub: 'al,ice', exp: S + 10 }), { authzid: 'al=2Cice' })])[0]!.kind, 'failed');
});

t.test('extensions are parsed and, with the unsecured validator, all accepted', async (t) => {
  const step = run([initial(jws(good), { extensions: 'traceId=abc 123\x01other=x=y\x01' })]);
  t.same(step, [done('alice', (S + 3600) * 1000)]);
  const parsed = parseClientInitialResponse(initial(jws(good), { authzid: 'alice', extensions: 'traceId=abc 123\x01other=x=y\x01' }));
  t.same(parsed, { authorizationId: 'alice', tokenValue: jws(good), extensions: new Map([['traceId', 'abc 123'], ['other', 'x=y']]) });
  // A repeated key keeps its last value; auth is not an extension.
  const repeated = parseClientInitialResponse(Buffer.from(`n,,\x01x=1\x01auth=Bearer ${jws(good)}\x01x=2\x01\x01`));
  t.same(repeated, { authorizationId: '', tokenValue: jws(good), extensions: new Map([['x', '2']]) });
  t.same(run([Buffer.from(`n,,\x01x=1\x01auth=Bearer ${jws(good)}\x01x=2\x01\x01`)]), [done('alice', (S + 3600) * 1000)]);
});

t.test('a validator that refuses extensions fails with Kafka message', async (t) => {
  const base = unsecuredValidatorFromJaas(JAAS());
  const picky: TokenValidator = {
    validate: (token, now) => base.validate(token, now),
    invalidExtensions: (_token, ext) => new Map([...ext.keys()].filter((k) => k.startsWith('bad')).map((k) => [k, 'not allowed'])),
  };
  t.same(run([initial(jws(good), { extensions: 'badA=1\x01ok=2\x01badB=3\x01' })], '', picky), [{
    kind: 'failed', message: 'Authentication failed: 2 extensions are invalid! They are: badA: not allowed; badB: not allowed',
  }]);
  t.same(run([initial(jws(good), { extensions: 'ok=2\x01' })], '', picky), [done('alice', (S + 3600) * 1000)]);
});

t.test('a refused token: JSON error, then the client\'s ^A, then the failure with that JSON', async (t) => {
  t.same(run([initial(jws({ sub: 'alice' })), KVSEP]), refusedWith(INVALID), 'no exp');
  t.equal(reason(jws({ sub: 'alice' })), 'No expiration time in JWT');
  // Anything but a lone ^A after the error starts a new exchange, as in Kafka.
  t.same(run([initial(jws({ sub: 'alice' })), initial(jws(good))]),
    [{ kind: 'continue', response: Buffer.from(INVALID) }, done('alice', (S + 3600) * 1000)]);
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 }))]), [done('alice', NOW + 10_000)]);
  t.same(run([initial(jws({ sub: 'alice' })), Buffer.from([1, 1])]),
    [{ kind: 'continue', response: Buffer.from(INVALID) }, { kind: 'failed', message: GENERIC }], '^A^A is a malformed first message');
  // A lone ^A with no error pending is a malformed first message.
  t.same(run([KVSEP]), [{ kind: 'failed', message: GENERIC }]);
});

t.test('expiry against the clock and the allowed skew', async (t) => {
  t.same(run([initial(jws({ sub: 'alice', exp: S - 1 })), KVSEP]), refusedWith(INVALID), 'expired');
  t.equal(reason(jws({ sub: 'alice', exp: S - 1 })),
    `The indicated time (${NOW} ms) minus allowable clock skew (0 ms) was on or after the Expiration Time value (${S - 1}.000000 seconds)`);
  t.same(run([initial(jws({ sub: 'alice', exp: S })), KVSEP]), refusedWith(INVALID), 'expiring now');
  t.same(run([initial(jws({ sub: 'alice', exp: S - 1 }))], 'unsecuredValidatorAllowableClockSkewMs="5000"'), [done('alice', NOW - 1000)], 'within the skew');
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10, iat: S + 100 })), KVSEP]), refusedWith(INVALID), 'issued in the future');
  t.equal(reason(jws({ sub: 'alice', exp: S + 10, iat: S + 100 })),
    `The Issued At value (${S + 100}.000000 seconds) was after the indicated time (${NOW} ms) plus allowable clock skew (0 ms)`);
  t.same(run([initial(jws({ sub: 'alice', exp: S + 200, iat: S + 100 }))], 'unsecuredValidatorAllowableClockSkewMs=" 200000 "'),
    [done('alice', NOW + 200_000)], 'iat in the future within the skew');
  t.equal(reason(jws({ sub: 'alice', exp: S + 100, iat: S + 100 }), 'unsecuredValidatorAllowableClockSkewMs="200000"'),
    `The Expiration Time time (${S + 100}.000000 seconds) was not after the Issued At time (${S + 100}.000000 seconds)`);
});

t.test('claims of the wrong type', async (t) => {
  const cases: Array<[unknown, string]> = [
    [{ sub: 'alice', exp: String(S + 10) }, "The 'exp' claim was not of type Number: String"],
    [{ sub: 'alice', exp: [S + 10] }, "The 'exp' claim was not of type Number: ArrayList"],
    [{ sub: 'alice', exp: null }, "The 'exp' claim was not of type Number: String"], // Jackson's asText: "null"
    [{ exp: S + 10 }, 'No principal name in JWT claim: sub'],
    [{ sub: '  ', exp: S + 10 }, 'No principal name in JWT claim: sub'],
    [{ sub: 5, exp: S + 10 }, "The 'sub' claim was not of type String: Integer"],
    [{ sub: 'alice', exp: S + 10, iat: 'x' }, "The 'iat' claim was not of type Number: String"],
    [{ sub: 'alice', exp: S + 10, scope: 5 }, "The 'scope' claim was not of type List: Integer"],
  ];
  for (const [claims, why] of cases) {
    t.same(run([initial(jws(claims)), KVSEP]), refusedWith(INVALID), JSON.stringify(claims));
    t.equal(reason(jws(claims)), why);
  }
});

t.test('the header: alg none and no signature', async (t) => {
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 }, { alg: 'HS256' })), KVSEP]), refusedWith(INVALID));
  t.equal(reason(jws({ sub: 'alice', exp: S + 10 }, { alg: 'HS256' })), "Unsecured JWS must have 'none' for an algorithm");
  t.equal(reason(jws({ sub: 'alice', exp: S + 10 }, { alg: null })), "Unsecured JWS must have 'none' for an algorithm");
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 }, { alg: 'none' }, 'c2ln')), KVSEP]), refusedWith(INVALID));
  t.equal(reason(jws({ sub: 'alice', exp: S + 10 }, { alg: 'none' }, 'c2ln')), 'Unsecured JWS must not contain a digital signature');
  // Kafka throws a NullPointerException here and closes the connection; we answer invalid_token.
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 }, { typ: 'JWT' })), KVSEP]), refusedWith(INVALID), 'no alg');
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 }, [1])), KVSEP]), refusedWith(INVALID), 'header not an object');
  t.equal(reason(jws({ sub: 'alice', exp: S + 10 }, [1])), 'JWS header must have an Algorithm value');
});

t.test('malformed JWS', async (t) => {
  const h = b64({ alg: 'none' });
  const badUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64').replace(/=+$/, '');
  const cases: Array<[string, string, string]> = [
    ['two parts', `${h}.${b64({ sub: 'al', exp: S + 10 })}`, 'Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values'],
    ['four parts', `${h}.${b64({ sub: 'al', exp: S + 10 })}.x.`, 'Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values'],
    ['..', `${h}..${b64({ sub: 'al', exp: S + 10 })}`, "Malformed compact serialization contains '..'"],
    ['not JSON', `${h}.${b64('not json')}.`, 'malformed JSON'],
    ['empty claims', `${h}.${b64('')}.`, "Malformed compact serialization contains '..'"],
    ['empty JSON', `${h}.${b64(' ')}.`, 'malformed JSON'],
    ['bad UTF-8 in the JSON', `${h}.${badUtf8}.`, 'malformed JSON'],
    ['a Base64 length no encoder makes', `${h}.A.`, 'malformed Base64 URL encoded value'],
    // Kafka decodes with Java's basic decoder: URL-safe '-' and '_' are refused.
    ['URL-safe Base64', `${h}.${Buffer.from(JSON.stringify({ sub: 'alice>>>?', exp: S + 10 })).toString('base64url')}.`, 'malformed Base64 URL encoded value'],
    ['padding inside', `${h}.${Buffer.from('{"sub":"a","exp":1}x').toString('base64')}.`, 'accepted by the token syntax? no'],
  ];
  for (const [name, token, why] of cases) {
    if (why.startsWith('accepted')) {
      // A '=' before the end breaks the bearer token syntax: the first message is malformed.
      t.same(run([initial(token)]), [{ kind: 'failed', message: GENERIC }], name);
      continue;
    }
    t.same(run([initial(token), KVSEP]), refusedWith(INVALID), name);
    t.equal(reason(token), why, name);
  }
  t.same(run([initial(`${jws({ sub: 'alice', exp: S + 10 })}==`), KVSEP]), refusedWith(INVALID), 'padding at the end lands in the signature');
});

t.test('malformed initial responses get the generic message', async (t) => {
  const bad: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['no auth', Buffer.from('n,,\x01\x01')],
    ['auth without a token', Buffer.from('n,,\x01auth=Bearer\x01\x01')],
    ['another scheme', Buffer.from('n,,\x01auth=Basic abc\x01\x01')],
    ['a gs2 header asking for channel binding', Buffer.from(`y,,\x01auth=Bearer ${jws(good)}\x01\x01`)],
    ['no final ^A', Buffer.from(`n,,\x01auth=Bearer ${jws(good)}\x01`)],
    ['two auth keys: the last one counts', Buffer.from(`n,,\x01auth=Bearer ${jws(good)}\x01auth=Bearer x\x01\x01`)],
    ['an extension name with a digit', initial(jws(good), { extensions: 'bad1=x\x01' })],
    ['bad UTF-8', Buffer.concat([Buffer.from('n,,\x01auth=Bearer '), Buffer.from([0xff]), Buffer.from('\x01\x01')])],
    ['non-ASCII extension value', initial(jws(good), { extensions: 'k=\u00e9\x01' })],
  ];
  for (const [name, token] of bad) {
    const steps = run([token, KVSEP]);
    if (name.startsWith('two auth')) {
      // The second auth value ("Bearer x") wins: a token with no dots, refused by the validator.
      t.same(steps, refusedWith(INVALID), name);
      continue;
    }
    t.same(steps, [{ kind: 'failed', message: GENERIC }], name);
  }
  const reauth = oauthBearerMechanism({ validator: unsecuredValidatorFromJaas(JAAS()) }).create({ ...ctx, reauthentication: true });
  t.same(reauth.evaluate(Buffer.from('junk')), {
    kind: 'failed', message: 'Authentication failed during re-authentication due to invalid credentials with SASL mechanism OAUTHBEARER',
  });
  t.same(parseClientInitialResponse(Buffer.from('n,,\x01\x01')), { error: "Invalid OAUTHBEARER client first message: 'auth' not specified" });
  t.same(parseClientInitialResponse(Buffer.from('n,,\x01auth=Bearer a b\x01\x01')), { error: "Invalid OAUTHBEARER client first message: invalid 'auth' format" });
});

t.test('huge tokens are handled in linear time', async (t) => {
  const start = process.hrtime.bigint();
  const hugeExtensions = Array.from({ length: 20_000 }, (_, i) => `k=${'v'.repeat(40)}${i}\x01`).join('');
  t.same(run([initial(jws(good), { extensions: hugeExtensions })]), [done('alice', (S + 3600) * 1000)]);
  const hugeClaims = jws({ ...good, pad: 'x'.repeat(1 << 20) });
  t.same(run([initial(hugeClaims)]), [done('alice', (S + 3600) * 1000)]);
  // Almost a message: a long value and no final ^A makes the regex backtrack through it.
  t.same(run([Buffer.from(`n,,\x01auth=Bearer ${'a'.repeat(1 << 20)}\x01k=${'v'.repeat(1 << 20)}`)]), [{ kind: 'failed', message: GENERIC }]);
  // Four megabytes of tiny extensions: a regex would overflow V8's backtracking stack near here.
  const manyPairs = Buffer.from(`n,,\x01auth=Bearer ${jws(good)}\x01${'k=v\x01'.repeat(1_000_000)}\x01`);
  t.same(run([manyPairs]), [done('alice', (S + 3600) * 1000)]);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
});

t.test('scope: string or list, required items', async (t) => {
  const req = 'unsecuredValidatorRequiredScope="read write"';
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10, scope: ['read', ' write ', 7] }))], req), [done('alice', NOW + 10_000)]);
  // A string scope is ONE item, spaces and all (Kafka's OAuthBearerUnsecuredJws).
  const insufficient = '{"status":"insufficient_scope", "scope":"[read, write]"}';
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10, scope: 'read write' })), KVSEP], req), refusedWith(insufficient));
  t.equal(reason(jws({ sub: 'alice', exp: S + 10, scope: 'read write' }), req),
    'The provided scope ([read write]) was missing a required scope (read).  All required scope elements: [read, write]');
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10, scope: ' read ' }))], 'unsecuredValidatorRequiredScope="read"'), [done('alice', NOW + 10_000)]);
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 })), KVSEP], 'unsecuredValidatorRequiredScope="read"'),
    refusedWith('{"status":"insufficient_scope", "scope":"[read]"}'), 'no scope claim');
  const custom = 'unsecuredValidatorScopeClaimName="scp" unsecuredValidatorRequiredScope="read"';
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10, scp: ['read'] }))], custom), [done('alice', NOW + 10_000)]);
});

t.test('the principal claim name option', async (t) => {
  const opt = 'unsecuredValidatorPrincipalClaimName="client_id"';
  t.same(run([initial(jws({ client_id: 'svc', sub: 'alice', exp: S + 10 }))], opt), [done('svc', NOW + 10_000)]);
  t.same(run([initial(jws({ sub: 'alice', exp: S + 10 })), KVSEP], opt), refusedWith(INVALID));
  t.equal(reason(jws({ sub: 'alice', exp: S + 10 }), opt), 'No principal name in JWT claim: client_id');
});

t.test('validator options are checked at startup', async (t) => {
  t.same(unsecuredValidatorOptions(new Map()), { principalClaimName: 'sub', scopeClaimName: 'scope', requiredScope: [], allowableClockSkewMs: 0 });
  t.same(unsecuredValidatorOptions(new Map([['unsecuredValidatorPrincipalClaimName', ' '], ['unsecuredValidatorRequiredScope', ' a  b ']])),
    { principalClaimName: 'sub', scopeClaimName: 'scope', requiredScope: ['a', 'b'], allowableClockSkewMs: 0 });
  t.throws(() => unsecuredValidatorFromJaas(JAAS('unsecuredValidatorAllowableClockSkewMs="-1"'), 'x'),
    new ConfigError('x: Allowable clock skew millis must not be negative: -1'));
  t.throws(() => unsecuredValidatorFromJaas(JAAS('unsecuredValidatorAllowableClockSkewMs="soon"'), 'x'), ConfigError);
  t.throws(() => unsecuredValidatorFromJaas(JAAS('unsecuredValidatorAllowableClockSkewMs="3000000000"'), 'x'), ConfigError);
  t.throws(() => unsecuredValidatorFromJaas(JAAS('unsecuredValidatorRequiredScope="a\\"b"'), 'x'),
    new ConfigError('x: unsecuredValidatorRequiredScope: Invalid scope value: a"b'));
  t.throws(() => unsecuredValidatorFromJaas('a required; b required;', 'x'),
    new ConfigError('x: JAAS config property contains 2 login modules, should be 1 module'));
});

t.test('the clock is injected: the same token is good, then expired', async (t) => {
  let now = NOW;
  const m = oauthBearerMechanism({ validator: unsecuredValidatorFromJaas(JAAS()), now: () => now });
  const token = initial(jws({ sub: 'alice', exp: S + 60 }));
  t.equal(m.create(ctx).evaluate(token).kind, 'complete');
  now = NOW + 60_000;
  t.same(m.create(ctx).evaluate(token), { kind: 'continue', response: Buffer.from(INVALID) });
});

t.test('the JSON error token format', async (t) => {
  t.equal(oauthJsonError('invalid_token'), '{"status":"invalid_token"}');
  t.equal(oauthJsonError('insufficient_scope', '[a]'), '{"status":"insufficient_scope", "scope":"[a]"}');
  t.equal(oauthJsonError('invalid_token', undefined, 'https://idp/.well-known/openid-configuration'),
    '{"status":"invalid_token", "openid-configuration":"https://idp/.well-known/openid-configuration"}');
});

t.test('OAUTHBEARER for a listener from its config', async (t) => {
  const config = (values: Record<string, string>) => (name: string): string | null => values[name] ?? null;
  const m = oauthBearerMechanismForListener(config({ 'sasl.jaas.config': JAAS('unsecuredValidatorPrincipalClaimName="cid"') }), 'SASL_SSL', () => NOW);
  t.same(m.create(ctx).evaluate(initial(jws({ cid: 'svc', exp: S + 5 }))), done('svc', NOW + 5000));
  t.throws(() => oauthBearerMechanismForListener(config({}), 'SASL_SSL'), /Could not find a 'KafkaServer' or 'sasl_ssl.KafkaServer' entry/);
  // A JWKS validator is configured: never fall back to the unsecured one, which accepts any token.
  t.throws(() => oauthBearerMechanismForListener(config({
    'sasl.jaas.config': JAAS(),
    'sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  }), 'SASL_SSL'), /OAuthBearerValidatorCallbackHandler is not supported/);
  t.throws(() => oauthBearerMechanismForListener(config({ 'sasl.jaas.config': JAAS('unsecuredValidatorAllowableClockSkewMs="-5"') }), 'SASL_SSL'),
    new ConfigError('listener.name.sasl_ssl.oauthbearer.sasl.jaas.config: Allowable clock skew millis must not be negative: -5'));
});

t.test('fuzz: random and mutated initial responses only ever give a step', async (t) => {
  let seed = 0x5eed;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const base = initial(jws(good), { authzid: 'alice', extensions: 'k=v\x01' });
  const kinds = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    let token: Buffer;
    if (i % 3 === 0) {
      token = Buffer.from(Array.from({ length: rand(64) }, () => rand(256)));
    } else {
      token = Buffer.from(base);
      // Half the changes stay in the token's own alphabet, so they reach the JWS checks.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/.=-_';
      for (let j = rand(4) + 1; j > 0; j--) token[rand(token.length)] = rand(2) === 0 ? rand(256) : alphabet.charCodeAt(rand(alphabet.length));
    }
    const steps = run([token, KVSEP]);
    const first = steps[0]!;
    const last = steps[steps.length - 1]!;
    // Whatever the bytes: complete as alice, or an error token then its failure, or a failure.
    const shape = first.kind === 'complete' ? (first.principal === 'User:alice' ? 'complete' : 'WRONG PRINCIPAL')
      : first.kind === 'continue' ? (last.kind === 'failed' && last.message === first.response.toString() ? 'json error' : 'BAD SEQUENCE')
        : first.message === GENERIC ? 'malformed' : first.message.startsWith('Authentication failed: ') ? 'refused' : 'UNKNOWN MESSAGE';
    kinds.set(shape, (kinds.get(shape) ?? 0) + 1);
  }
  const seen = JSON.stringify([...kinds]);
  t.same([...kinds.keys()].filter((k) => k === k.toUpperCase()), [], `outcomes ${seen}`);
  t.ok((kinds.get('json error') ?? 0) > 20 && (kinds.get('malformed') ?? 0) > 20 && (kinds.get('complete') ?? 0) > 0, `outcomes ${seen}`);
});
