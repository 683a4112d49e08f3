/**
 * SCRAM-SHA-256/512, the server mechanism: RFC 7677's SCRAM-SHA-256 exchange byte for byte, a
 * SHA-512 round trip with our client, and every way a client's tokens can be wrong.
 */
import t from 'tap';
import type { SaslServer, SaslStep } from './sasl.js';
import {
  invalidCredentialsMessage,
  scramCredential,
  scramMechanism,
  scramMechanismOfType,
  scramMechanismType,
  scramSaslName,
  scramUsername,
  type ScramCredential,
  type ScramMechanismName,
} from './scram.js';
import { ScramSaslClient } from './scram-client.js';

const CTX = { listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' };

// RFC 7677 section 3.
const RFC = {
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function store(entries: Array<[string, ScramMechanismName, ScramCredential]>): (user: string, m: ScramMechanismName) => ScramCredential | undefined {
  const map = new Map(entries.map(([u, m, c]) => [`${m}/${u}`, c]));
  return (user, m) => map.get(`${m}/${user}`);
}

const rfcCredential = scramCredential('SCRAM-SHA-256', 'pencil', 4096, RFC.salt);

function rfcServer(): SaslServer {
  return scramMechanism('SCRAM-SHA-256', store([['user', 'SCRAM-SHA-256', rfcCredential]]), { serverNonce: () => RFC.serverNonce }).create(CTX);
}

const text = (step: SaslStep): string => ('response' in step && step.response ? step.response.toString() : '');

t.test('RFC 7677 SCRAM-SHA-256 test vector: user/pencil', async (t) => {
  const server = rfcServer();
  const first = server.evaluate(Buffer.from(RFC.clientFirst));
  t.equal(first.kind, 'continue');
  t.equal(text(first), RFC.serverFirst);
  const final = server.evaluate(Buffer.from(RFC.clientFinal));
  t.same({ kind: final.kind, principal: final.kind === 'complete' ? final.principal : null }, { kind: 'complete', principal: 'User:user' });
  t.equal(text(final), RFC.serverFinal);
  t.equal(server.evaluate(Buffer.from(RFC.clientFinal)).kind, 'failed', 'nothing after completion');
});

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  t.test(`${mechanism} round trip with our client, right and wrong password`, async (t) => {
    const cred = scramCredential(mechanism, 'alice-secret', 8192);
    const mech = scramMechanism(mechanism, store([['alice', mechanism, cred]]));
    const client = new ScramSaslClient(mechanism, 'alice', 'alice-secret');
    const server = mech.create(CTX);
    const first = server.evaluate(client.first());
    t.equal(first.kind, 'continue');
    t.match(text(first), /,i=8192$/);
    const done = server.evaluate(client.final((first as { response: Buffer }).response));
    t.equal(done.kind, 'complete');
    t.ok(client.verify((done as { response: Buffer }).response), 'server signature verifies');

    const wrong = new ScramSaslClient(mechanism, 'alice', 'not-the-password');
    const server2 = mech.create(CTX);
    const f2 = server2.evaluate(wrong.first()) as { response: Buffer };
    const failed = server2.evaluate(wrong.final(f2.response));
    t.same(failed, { kind: 'failed', message: invalidCredentialsMessage(mechanism) });
    t.equal(invalidCredentialsMessage(mechanism), `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
  });
}

t.test('a credential of the other mechanism does not authenticate', async (t) => {
  const cred = scramCredential('SCRAM-SHA-256', 'pw', 4096);
  const server = scramMechanism('SCRAM-SHA-512', store([['bob', 'SCRAM-SHA-256', cred]])).create(CTX);
  const client = new ScramSaslClient('SCRAM-SHA-512', 'bob', 'pw');
  const first = server.evaluate(client.first()) as { kind: string; response: Buffer };
  t.equal(first.kind, 'continue', 'an unknown user is answered like a known one');
  t.equal(server.evaluate(client.final(first.response)).kind, 'failed');
});

t.test('unknown user: same shape as a wrong password, stable fake salt', async (t) => {
  const mech = scramMechanism('SCRAM-SHA-256', store([['user', 'SCRAM-SHA-256', rfcCredential]]));
  const salts: string[] = [];
  for (let i = 0; i < 2; i++) {
    const client = new ScramSaslClient('SCRAM-SHA-256', 'nobody', 'x');
    const server = mech.create(CTX);
    const first = server.evaluate(client.first());
    t.equal(first.kind, 'continue');
    const m = /^r=[^,]+,s=([^,]+),i=4096$/.exec(text(first));
    t.ok(m, text(first));
    salts.push(m![1]!);
    t.same(server.evaluate(client.final((first as { response: Buffer }).response)), { kind: 'failed', message: invalidCredentialsMessage('SCRAM-SHA-256') });
  }
  t.equal(salts[0], salts[1], 'the same unknown user gets the same salt twice');
  const other = mech.create(CTX).evaluate(new ScramSaslClient('SCRAM-SHA-256', 'somebody-else', 'x').first());
  t.not(/s=([^,]+)/.exec(text(other))![1], salts[0], 'another unknown user gets another salt');
});

t.test('bad client-first messages', async (t) => {
  const generic = { kind: 'failed', message: invalidCredentialsMessage('SCRAM-SHA-256') };
  const cases: Array<[string, string, object]> = [
    ['garbage', 'hello', generic],
    ['empty', '', generic],
    ['channel binding requested', 'p=tls-unique,,n=user,r=abc', generic],
    ['no nonce', 'n,,n=user', generic],
    ['bad escape in name', 'n,,n=us=er,r=abc', generic],
    ['comma in nonce', 'n,,n=user,r=a,b', generic],
    ['authzid of another user', 'n,a=admin,n=user,r=abc', { kind: 'failed', message: 'Authentication failed: Client requested an authorization id that is different from username' }],
    ['delegation token', 'n,,n=user,r=abc,tokenauth=true', { kind: 'failed', message: 'Authentication failed: delegation token authentication (tokenauth=true) is not supported by this broker' }],
  ];
  for (const [name, token, expected] of cases) {
    t.same(rfcServer().evaluate(Buffer.from(token)), expected, name);
  }
  t.equal(rfcServer().evaluate(Buffer.from('n,a=user,n=user,r=abc')).kind, 'continue', 'authzid equal to the user');
  t.equal(rfcServer().evaluate(Buffer.from('y,,n=user,r=abc')).kind, 'continue', '"y" gs2 flag');
  t.equal(rfcServer().evaluate(Buffer.from('n,,n=user,r=abc,tokenauth=false,other=1')).kind, 'continue', 'other extensions are ignored');
  t.equal(rfcServer().evaluate(Buffer.alloc(100_000, 0x41)).kind, 'failed', 'oversized garbage');
});

t.test('bad client-final messages', async (t) => {
  const generic = { kind: 'failed', message: invalidCredentialsMessage('SCRAM-SHA-256') };
  const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const proof = 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
  const cases: Array<[string, string]> = [
    ['garbage', 'hello'],
    ['wrong channel binding', `c=eSws,r=${nonce},p=${proof}`],
    ['client nonce only', `c=biws,r=rOprNGfwEbeRWgbNEkqO,p=${proof}`],
    ['nonce with a prefix', `c=biws,r=x${nonce},p=${proof}`],
    ['short proof', `c=biws,r=${nonce},p=AAAA`],
    ['flipped proof', `c=biws,r=${nonce},p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`],
    ['no proof', `c=biws,r=${nonce}`],
  ];
  for (const [name, token] of cases) {
    const server = rfcServer();
    t.equal(server.evaluate(Buffer.from(RFC.clientFirst)).kind, 'continue');
    t.same(server.evaluate(Buffer.from(token)), generic, name);
    t.equal(server.evaluate(Buffer.from(RFC.clientFinal)).kind, 'failed', `${name}: no second chance`);
  }
  const y = rfcServer();
  t.equal(y.evaluate(Buffer.from('y,,n=user,r=abc')).kind, 'continue');
  t.match(y.evaluate(Buffer.from(`c=biws,r=abc${RFC.serverNonce},p=${proof}`)), { kind: 'failed' }, '"y,," must be bound as eSws');
});

t.test('credentials below the minimum iterations are refused', async (t) => {
  t.throws(() => scramCredential('SCRAM-SHA-256', 'pw', 4095), /Iterations 4095 is less than the minimum 4096 for SCRAM-SHA-256/);
  const weak: ScramCredential = { ...rfcCredential, iterations: 1000 };
  const server = scramMechanism('SCRAM-SHA-256', () => weak).create(CTX);
  t.equal(server.evaluate(Buffer.from(RFC.clientFirst)).kind, 'failed');
});

t.test('saslname escaping and mechanism types', async (t) => {
  t.equal(scramSaslName('a=b,c'), 'a=3Db=2Cc');
  t.equal(scramUsername('a=3Db=2Cc'), 'a=b,c');
  t.throws(() => scramUsername('a=4Fb'), /Invalid username: a=4Fb/);
  t.equal(scramMechanismType('SCRAM-SHA-256'), 1);
  t.equal(scramMechanismType('SCRAM-SHA-512'), 2);
  t.equal(scramMechanismOfType(0), undefined);
  t.equal(scramMechanismOfType(2), 'SCRAM-SHA-512');
  const cred = scramCredential('SCRAM-SHA-256', 'pw', 4096, Buffer.from('salt'));
  const server = scramMechanism('SCRAM-SHA-256', store([['a=b,c', 'SCRAM-SHA-256', cred]])).create(CTX);
  const client = new ScramSaslClient('SCRAM-SHA-256', 'a=b,c', 'pw');
  const first = server.evaluate(client.first()) as { response: Buffer };
  const done = server.evaluate(client.final(first.response));
  t.match(done, { kind: 'complete', principal: 'User:a=b,c' });
});

/** Whether a mutated client-final still says exactly what RFC 7677's does (same text before the proof, same proof bytes). */
function sameAsRfcFinal(final: Buffer): boolean {
  const text = final.toString('latin1');
  const cut = text.indexOf(',p=');
  const rfcCut = RFC.clientFinal.indexOf(',p=');
  if (cut < 0 || text.slice(0, cut) !== RFC.clientFinal.slice(0, rfcCut)) return false;
  return Buffer.from(text.slice(cut + 3), 'base64').equals(Buffer.from(RFC.clientFinal.slice(rfcCut + 3), 'base64'));
}

t.test('fuzz: random and mutated tokens never throw and never authenticate', async (t) => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const randomBytesOf = (len: number): Buffer => Buffer.from(Array.from({ length: len }, () => rand(256)));
  let completed = 0;
  let threw = 0;
  for (let i = 0; i < 2000; i++) {
    const server = rfcServer();
    try {
      // Half random bytes, half a valid client-first with one byte changed.
      const first = i % 2 === 0 ? randomBytesOf(rand(80)) : Buffer.from(RFC.clientFirst);
      if (i % 2 === 1) first[rand(first.length)] = rand(256);
      const step = server.evaluate(first);
      if (step.kind === 'continue') {
        const final = Buffer.from(RFC.clientFinal);
        const j = rand(final.length);
        final[j] = final[j]! ^ (1 + rand(255));
        // The last base64 character of the proof carries 2 unused bits: a change there alone
        // decodes to the same proof, which rightly authenticates.
        const sameProof = sameAsRfcFinal(final);
        if (server.evaluate(final).kind === 'complete' && !sameProof) completed++;
      }
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, 'no token makes the mechanism throw');
  t.equal(completed, 0, 'no mutated client-final authenticates');
});
