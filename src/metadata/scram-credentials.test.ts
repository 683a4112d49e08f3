/**
 * SCRAM credentials in the metadata (issue 13): AlterUserScramCredentials' validation as Kafka's
 * ScramControlManager does it, the records replayed into the image after a restart, and
 * DescribeUserScramCredentials answered from that image.
 */
import t from 'tap';
import { scramCredential, scramCredentialFromSaltedPassword, scramMechanism, scramSaltedPassword, imageScramLookup } from '../auth/scram.js';
import { ScramSaslClient } from '../auth/scram-client.js';
import { describeUserScramCredentials } from '../api/50-describe-user-scram-credentials.js';
import { MemoryFileIO } from '../log/file-io.js';
import { ErrorCode } from '../protocol/errors.js';
import type { AlterUserScramCredentialsRequest } from '../protocol/generated/index.js';
import { Controller, type ScramKeyDerivation } from './controller.js';
import { MetadataImage } from './image.js';
import { MetadataLog } from './metadata-log.js';

const DATA = '/data';
const derive: ScramKeyDerivation = (m, sp) => scramCredentialFromSaltedPassword(m, Buffer.alloc(0), sp, 0);
const SHA256 = 1;
const SHA512 = 2;

function open(io: MemoryFileIO): { mlog: MetadataLog; image: MetadataImage; controller: Controller } {
  io.mkdir(DATA);
  const mlog = MetadataLog.open(DATA, io);
  const image = new MetadataImage();
  mlog.replay(image);
  return { mlog, image, controller: new Controller(image, mlog, 1, { numPartitions: 1, replicationFactor: 1 }) };
}

function upsert(name: string, password: string, mechanism = SHA256, iterations = 4096): AlterUserScramCredentialsRequest['upsertions'][number] {
  const salt = Buffer.from(`salt-of-${name}`);
  const m = mechanism === SHA512 ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256';
  const saltedPassword = iterations >= 1 && mechanism >= 1 && mechanism <= 2 ? scramSaltedPassword(m, password, salt, iterations) : Buffer.from('x');
  return { name, mechanism, iterations, salt, saltedPassword };
}

function results(controller: Controller, req: Partial<AlterUserScramCredentialsRequest>): Array<[string, string, string | null]> {
  const res = controller.alterUserScramCredentials({ deletions: [], upsertions: [], ...req }, derive);
  return res.results.map((r) => [r.user, nameOf(r.errorCode), r.errorMessage]);
}

function nameOf(code: number): string {
  for (const [k, v] of Object.entries(ErrorCode)) if (v === code) return k;
  return String(code);
}

function authenticates(image: MetadataImage, user: string, password: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'): boolean {
  const server = scramMechanism(mechanism, imageScramLookup(image)).create({ listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' });
  const client = new ScramSaslClient(mechanism, user, password);
  const first = server.evaluate(client.first());
  if (first.kind !== 'continue') return false;
  const done = server.evaluate(client.final(first.response));
  return done.kind === 'complete' && client.verify(done.response);
}

t.test('credentials written by the controller survive a restart and authenticate', async (t) => {
  const io = new MemoryFileIO();
  const a = open(io);
  t.same(results(a.controller, { upsertions: [upsert('alice', 'alice-secret'), upsert('bob', 'bob-secret', SHA512, 8192)] }), [
    ['alice', 'NONE', null],
    ['bob', 'NONE', null],
  ]);
  t.same(results(a.controller, { upsertions: [upsert('alice', 'alice-512', SHA512)] }), [['alice', 'NONE', null]], 'a second mechanism for alice');
  t.ok(authenticates(a.image, 'alice', 'alice-secret', 'SCRAM-SHA-256'));
  a.mlog.close();

  const b = open(io);
  t.ok(authenticates(b.image, 'alice', 'alice-secret', 'SCRAM-SHA-256'), 'after a restart');
  t.ok(authenticates(b.image, 'alice', 'alice-512', 'SCRAM-SHA-512'));
  t.ok(authenticates(b.image, 'bob', 'bob-secret', 'SCRAM-SHA-512'));
  t.notOk(authenticates(b.image, 'bob', 'bob-secret', 'SCRAM-SHA-256'), 'bob has no SHA-256 credential');
  t.notOk(authenticates(b.image, 'alice', 'wrong', 'SCRAM-SHA-256'));
  t.same(describeUserScramCredentials(b.image, { users: null }).results, [
    { user: 'alice', errorCode: 0, errorMessage: '', credentialInfos: [{ mechanism: SHA256, iterations: 4096 }, { mechanism: SHA512, iterations: 4096 }] },
    { user: 'bob', errorCode: 0, errorMessage: '', credentialInfos: [{ mechanism: SHA512, iterations: 8192 }] },
  ]);

  t.same(results(b.controller, { deletions: [{ name: 'alice', mechanism: SHA256 }], upsertions: [upsert('bob', 'bob-new', SHA512, 4096)] }), [
    ['alice', 'NONE', null],
    ['bob', 'NONE', null],
  ]);
  b.mlog.close();
  const c = open(io);
  t.notOk(authenticates(c.image, 'alice', 'alice-secret', 'SCRAM-SHA-256'), 'the deleted credential is gone after a restart');
  t.ok(authenticates(c.image, 'alice', 'alice-512', 'SCRAM-SHA-512'), 'the other mechanism stays');
  t.ok(authenticates(c.image, 'bob', 'bob-new', 'SCRAM-SHA-512'), 'a replaced credential');
  t.notOk(authenticates(c.image, 'bob', 'bob-secret', 'SCRAM-SHA-512'));
  t.same(results(c.controller, { deletions: [{ name: 'alice', mechanism: SHA512 }] }), [['alice', 'NONE', null]]);
  t.notOk(c.image.scramCredentials.has('alice'), 'a user without credentials leaves the image');
  c.mlog.close();
});

t.test("AlterUserScramCredentials refuses as Kafka's ScramControlManager", async (t) => {
  const { controller, image, mlog } = open(new MemoryFileIO());
  t.same(results(controller, { upsertions: [upsert('carol', 'pw')] }), [['carol', 'NONE', null]]);
  const cases: Array<[string, Partial<AlterUserScramCredentialsRequest>, Array<[string, string, string | null]>]> = [
    ['empty user name', { upsertions: [upsert('', 'pw')] }, [['', 'UNACCEPTABLE_CREDENTIAL', 'Username must not be empty']]],
    ['empty user name in a deletion', { deletions: [{ name: '', mechanism: SHA256 }] }, [['', 'UNACCEPTABLE_CREDENTIAL', 'Username must not be empty']]],
    ['unknown mechanism 0', { upsertions: [upsert('dave', 'pw', 0)] }, [['dave', 'UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism']]],
    ['unknown mechanism 3 in a deletion', { deletions: [{ name: 'carol', mechanism: 3 }] }, [['carol', 'UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism']]],
    ['too few iterations', { upsertions: [upsert('dave', 'pw', SHA256, 4095)] }, [['dave', 'UNACCEPTABLE_CREDENTIAL', 'Too few iterations']]],
    ['too many iterations', { upsertions: [upsert('dave', 'pw', SHA256, 16385)] }, [['dave', 'UNACCEPTABLE_CREDENTIAL', 'Too many iterations']]],
    ['deleting a missing credential', { deletions: [{ name: 'carol', mechanism: SHA512 }] }, [['carol', 'RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist']]],
    ['deleting a missing user', { deletions: [{ name: 'nobody', mechanism: SHA256 }] }, [['nobody', 'RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist']]],
    [
      'a user twice in upsertions',
      { upsertions: [upsert('dave', 'pw'), upsert('dave', 'pw', SHA512)] },
      [['dave', 'DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request']],
    ],
    [
      'a user in a deletion and an upsertion',
      { deletions: [{ name: 'carol', mechanism: SHA256 }], upsertions: [upsert('carol', 'pw', SHA512)] },
      [['carol', 'DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request']],
    ],
    [
      'a failed user named again keeps its first error',
      { upsertions: [upsert('dave', 'pw', SHA256, 1), upsert('dave', 'pw')] },
      [['dave', 'UNACCEPTABLE_CREDENTIAL', 'Too few iterations']],
    ],
    ['an empty salted password', { upsertions: [{ ...upsert('dave', 'pw'), saltedPassword: Buffer.alloc(0) }] }, [['dave', 'UNKNOWN_SERVER_ERROR', null]]],
  ];
  for (const [name, req, expected] of cases) t.same(results(controller, req), expected, name);
  t.same(
    results(controller, { upsertions: [upsert('erin', 'pw'), upsert('', 'pw')] }),
    [
      ['erin', 'NONE', null],
      ['', 'UNACCEPTABLE_CREDENTIAL', 'Username must not be empty'],
    ],
    'the valid part of a request is applied',
  );
  t.same([...image.scramCredentials.keys()].sort(), ['carol', 'erin'], 'no refused change reached the image');
  t.same([...image.scramCredentials.get('carol')!.keys()], ['SCRAM-SHA-256']);
  mlog.close();
});

t.test('DescribeUserScramCredentials: named, missing and duplicate users', async (t) => {
  const image = new MetadataImage();
  const c = scramCredential('SCRAM-SHA-256', 'pw', 4096, Buffer.from('s'));
  image.apply({ type: 'UserScramCredential', name: 'alice', mechanism: 'SCRAM-SHA-256', salt: 'cw==', storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: 4096 });
  const res = describeUserScramCredentials(image, { users: [{ name: 'nobody' }, { name: 'alice' }, { name: 'twice' }, { name: 'twice' }] });
  t.same(res, {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: '',
    results: [
      { user: 'nobody', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: nobody', credentialInfos: [] },
      { user: 'alice', errorCode: 0, errorMessage: '', credentialInfos: [{ mechanism: SHA256, iterations: 4096 }] },
      { user: 'twice', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request: twice', credentialInfos: [] },
    ],
  });
  t.same(describeUserScramCredentials(new MetadataImage(), { users: [] }).results, [], 'no users at all');
  t.throws(() => image.apply({ type: 'RemoveUserScramCredential', name: 'alice', mechanism: 'SCRAM-SHA-512' }), /removal of unknown SCRAM-SHA-512 credential of user alice/);
});
