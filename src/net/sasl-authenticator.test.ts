import t, { type Test } from 'tap';
import { ErrorCode } from '../protocol/errors.js';
import type { SaslMechanism, SaslStep } from '../auth/sasl.js';
import { SaslAuthenticator, type SaslListenerConfig, type SaslVerdict } from './sasl-authenticator.js';
import { newSession } from '../auth/session.js';

/** A one-step mechanism: "user:password" against a fixed table; "exp=N:user" completes expiring at N. */
const TEST: SaslMechanism = {
  name: 'TEST',
  create: () => ({
    mechanism: 'TEST',
    evaluate(token: Buffer): SaslStep {
      const text = token.toString();
      const exp = /^exp=(\d+):(\w+)$/.exec(text);
      if (exp) return { kind: 'complete', response: Buffer.from('ok'), principal: `User:${exp[2]}`, credentialExpiresMs: Number(exp[1]) };
      const [user, password] = text.split(':');
      if (password === `${user}-secret`) return { kind: 'complete', response: Buffer.alloc(0), principal: `User:${user}` };
      if (text === 'more') return { kind: 'continue', response: Buffer.from('challenge') };
      return { kind: 'failed', message: 'Authentication failed: Invalid username or password' };
    },
  }),
};

function setup(over: Partial<SaslListenerConfig> = {}, nowMs = { v: 1000 }) {
  const config: SaslListenerConfig = { mechanisms: new Map([['TEST', TEST]]), reauthMs: 0, failedAuthDelayMs: 100, maxReceiveBytes: 524288, ...over };
  const session = newSession('SASL_PLAINTEXT', 'SASL_PLAINTEXT', '127.0.0.1');
  return { session, auth: new SaslAuthenticator(config, session, () => nowMs.v), nowMs };
}
const handshake = (mechanism: string) => ({ mechanism });
const authenticate = (s: string) => ({ authBytes: Buffer.from(s) });
function answer(t: Test, v: SaslVerdict): any {
  t.equal(v.kind, 'answer');
  return v.kind === 'answer' ? v : null;
}

t.test('before authentication only ApiVersions and SaslHandshake pass; anything else closes', async (t) => {
  const { auth } = setup();
  t.same(auth.onRequest(18, 3, {}), { kind: 'pass' });
  const v = auth.onRequest(3, 12, {});
  t.equal(v.kind, 'close');
  t.match(v.kind === 'close' ? v.reason : '', /unexpected Kafka request of type METADATA during SASL handshake/);
  t.equal(setup().auth.onRequest(36, 2, authenticate('a:a-secret')).kind, 'close', 'SaslAuthenticate before the handshake closes');
});

t.test('v1 handshake then SaslAuthenticate: the session takes the principal', async (t) => {
  const { auth, session } = setup();
  const hs = answer(t, auth.onRequest(17, 1, handshake('TEST')));
  t.same(hs.response, { errorCode: ErrorCode.NONE, mechanisms: ['TEST'] });
  t.notOk(auth.authenticated);
  const second = answer(t, auth.onRequest(17, 1, handshake('TEST')));
  t.same(second.response, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }, 'a second handshake during authentication is answered ILLEGAL_SASL_STATE');
  t.equal(second.close?.delayMs, 100, 'then closed after the failed-authentication delay');
});

t.test('authentication: continue, complete, then requests pass', async (t) => {
  const { auth, session } = setup();
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  const more = answer(t, auth.onRequest(36, 2, authenticate('more')));
  t.equal(more.response.errorCode, ErrorCode.NONE);
  t.equal(more.response.authBytes.toString(), 'challenge');
  const done = answer(t, auth.onRequest(36, 2, authenticate('alice:alice-secret')));
  t.equal(done.response.errorCode, ErrorCode.NONE);
  t.equal(done.response.sessionLifetimeMs, 0n, 'no session end without connections.max.reauth.ms');
  t.equal(session.principal, 'User:alice');
  t.equal(session.saslMechanism, 'TEST');
  t.ok(auth.authenticated);
  t.same(auth.onRequest(0, 9, {}), { kind: 'pass' });
  t.equal(auth.frameBytesMax(100 << 20), 100 << 20, 'the SASL receive bound no longer applies');
});

t.test('unknown mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled list, then close', async (t) => {
  const { auth } = setup();
  const v = answer(t, auth.onRequest(17, 1, handshake('GSSAPI')));
  t.same(v.response, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['TEST'] });
  t.equal(v.close.delayMs, 0);
});

t.test('a wrong password: SASL_AUTHENTICATION_FAILED with the message, closed after the delay', async (t) => {
  const { auth, session } = setup({ failedAuthDelayMs: 250 });
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  const v = answer(t, auth.onRequest(36, 1, authenticate('alice:nope')));
  t.equal(v.response.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  t.equal(v.response.errorMessage, 'Authentication failed: Invalid username or password');
  t.equal(v.close.delayMs, 250);
  t.equal(session.principal, 'User:ANONYMOUS');
  t.equal(auth.onRequest(36, 1, authenticate('alice:alice-secret')).kind, 'close', 'nothing is accepted after a failure');
});

t.test('v0 handshake: bare tokens follow', async (t) => {
  const { auth, session } = setup();
  answer(t, auth.onRequest(17, 0, handshake('TEST')));
  t.ok(auth.rawMode);
  const v = auth.onRawToken(Buffer.from('bob:bob-secret'));
  t.same(v, { kind: 'answer', token: Buffer.alloc(0) });
  t.notOk(auth.rawMode);
  t.equal(session.principal, 'User:bob');
  const bad = setup();
  answer(t, bad.auth.onRequest(17, 0, handshake('TEST')));
  const refused = bad.auth.onRawToken(Buffer.from('bob:x'));
  t.equal(refused.kind, 'close');
});

t.test('the frame bound before authentication is sasl.server.max.receive.size', async (t) => {
  const { auth } = setup({ maxReceiveBytes: 4096 });
  t.equal(auth.frameBytesMax(100 << 20), 4096);
});

t.test('connections.max.reauth.ms: the lifetime is told, an expired session closes, re-authentication renews it', async (t) => {
  const { auth, session, nowMs } = setup({ reauthMs: 60_000 });
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  const done = answer(t, auth.onRequest(36, 2, authenticate('carol:carol-secret')));
  t.equal(done.response.sessionLifetimeMs, 60_000n);
  nowMs.v += 30_000;
  t.same(auth.onRequest(1, 11, {}), { kind: 'pass' });
  nowMs.v += 40_000;
  const expired = auth.onRequest(1, 11, {});
  t.equal(expired.kind, 'close');
  t.match(expired.kind === 'close' ? expired.reason : '', /expired/);
  // The client re-authenticates instead: same mechanism, same principal.
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  t.equal(auth.onRequest(1, 11, {}).kind, 'close', 'no other request while re-authenticating');
});

t.test('re-authentication keeps the principal and the mechanism', async (t) => {
  const { auth, session, nowMs } = setup({ reauthMs: 5000 });
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  answer(t, auth.onRequest(36, 1, authenticate('dave:dave-secret')));
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  const same = answer(t, auth.onRequest(36, 1, authenticate('dave:dave-secret')));
  t.equal(same.response.errorCode, ErrorCode.NONE);
  t.equal(same.response.sessionLifetimeMs, 5000n);
  nowMs.v += 1000;
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  const other = answer(t, auth.onRequest(36, 1, authenticate('erin:erin-secret')));
  t.equal(other.response.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  t.equal(other.response.errorMessage, 'Cannot change principals during re-authentication from User.dave: User.erin');
  t.equal(session.principal, 'User:dave');
});

t.test('a session that does not end cannot be renewed: its SaslHandshake goes to the handler', async (t) => {
  const { auth } = setup();
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  answer(t, auth.onRequest(36, 2, authenticate('frank:frank-secret')));
  t.same(auth.onRequest(17, 1, handshake('TEST')), { kind: 'pass' });
});

t.test('re-authentication at most once a second (Kafka: MIN_REAUTH_INTERVAL_ONE_SECOND)', async (t) => {
  const { auth, nowMs } = setup({ reauthMs: 60_000 });
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  answer(t, auth.onRequest(36, 2, authenticate('gus:gus-secret')));
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  answer(t, auth.onRequest(36, 2, authenticate('gus:gus-secret')));
  nowMs.v += 500;
  t.same(auth.onRequest(17, 1, handshake('TEST')), { kind: 'pass' }, 'too soon: the handler answers');
  nowMs.v += 600;
  t.equal(auth.onRequest(17, 1, handshake('TEST')).kind, 'answer', 'a second later it may');
});

t.test('a credential that expires bounds the session (OAUTHBEARER tokens)', async (t) => {
  const { auth } = setup({ reauthMs: 3_600_000 }, { v: 10_000 });
  answer(t, auth.onRequest(17, 1, handshake('TEST')));
  const v = answer(t, auth.onRequest(36, 2, authenticate('exp=25000:gina')));
  t.equal(v.response.sessionLifetimeMs, 15_000n);
});
