/**
 * SCRAM credentials end to end against a real `sluice` process (issue 13): `sluice format
 * --add-scram` as kafka-storage takes it, DescribeUserScramCredentials (50) and
 * AlterUserScramCredentials (51) over the wire (raw requests, then confluent-kafka's AdminClient,
 * which salts the password itself), and the credentials after a restart. A credential counts only
 * if a SCRAM exchange against the broker's own image accepts it: the stored keys are read back
 * through the metadata log written by the process.
 */
import t from 'tap';
import { scramMechanism, scramSaltedPassword, imageScramLookup } from '../src/auth/scram.js';
import { ScramSaslClient } from '../src/auth/scram-client.js';
import { MetadataImage } from '../src/metadata/image.js';
import { MetadataLog } from '../src/metadata/metadata-log.js';
import { defaultFileIO } from '../src/log/file-io.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { AlterUserScramCredentials, DescribeUserScramCredentials } from '../src/protocol/generated/index.js';
import { confluentNewestDriver, kafkaPythonNewestDriver } from './client-drivers.js';
import { CLI, run, spawnBroker, tmpDataDir, type BrokerProcess } from './harness.js';
import { RawClient } from './raw-client.js';

const SHA256 = 1;
const SHA512 = 2;

/** The broker's metadata log, replayed (read while the broker is stopped). */
function imageOf(dataDir: string): MetadataImage {
  const mlog = MetadataLog.open(dataDir, defaultFileIO());
  const image = new MetadataImage();
  mlog.replay(image);
  mlog.close();
  return image;
}

function authenticates(image: MetadataImage, user: string, password: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'): boolean {
  const server = scramMechanism(mechanism, imageScramLookup(image)).create({ listenerName: 'SASL_PLAINTEXT', clientAddress: '127.0.0.1' });
  const client = new ScramSaslClient(mechanism, user, password);
  const first = server.evaluate(client.first());
  if (first.kind !== 'continue') return false;
  const done = server.evaluate(client.final(first.response));
  return done.kind === 'complete' && client.verify(done.response);
}

async function describe(port: number, users: string[] | null): Promise<Array<[string, number, string | null, Array<[number, number]>]>> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(DescribeUserScramCredentials, 0, { users: users === null ? null : users.map((name) => ({ name })) });
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`DescribeUserScramCredentials answered ${res.errorCode}: ${res.errorMessage}`);
    return res.results.map((r) => [r.user, r.errorCode, r.errorMessage, r.credentialInfos.map((i) => [i.mechanism, i.iterations] as [number, number])]);
  } finally {
    c.close();
  }
}

t.test('sluice format --add-scram refuses bad arguments with kafka-storage\'s messages', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['SCRAM-SHA-1=[name=a,password=b]', /The add-scram mechanism SCRAM-SHA-1 is not supported\./],
    ['SCRAM-SHA-256=name=a,password=b', /Expected configuration string to start with \[/],
    ['SCRAM-SHA-256=[password=b]', /You must supply 'name' to add-scram/],
    ['SCRAM-SHA-256=[name=a]', /You must supply one of 'password' or 'saltedpassword' to add-scram/],
    ['SCRAM-SHA-256=[name=a,saltedpassword="YWJj"]', /You must supply 'salt' with 'saltedpassword' to add-scram/],
    ['SCRAM-SHA-256=[name=a,password=b,iterations=100]', /The 'iterations' value must be >= 4096 for add-scram using SCRAM-SHA-256/],
    ['SCRAM-SHA-512=[name=a,password=b,iterations=20000]', /The 'iterations' value must be <= 16384 for add-scram using SCRAM-SHA-512/],
    ['SCRAM-SHA-256=[name=a,password=b,colour=red]', /Unknown SCRAM configurations: colour/],
  ];
  for (const [arg, message] of cases) {
    const dir = tmpDataDir('sluice-scram-format-');
    t.teardown(dir.remove);
    const r = await run(process.execPath, [CLI, 'format', '--data-dir', `${dir.dir}/d`, '--add-scram', arg]);
    t.equal(r.code, 1, `${arg}: exit code`);
    t.match(r.stderr + r.stdout, message, arg);
  }
});

t.test('format --add-scram, then Describe/Alter over the wire, then a restart', async (t) => {
  const tmp = tmpDataDir('sluice-scram-');
  t.teardown(tmp.remove);
  const dataDir = `${tmp.dir}/data`;
  const formatted = await run(process.execPath, [
    CLI,
    'format',
    '--data-dir',
    dataDir,
    '--add-scram',
    'SCRAM-SHA-256=[name=alice,password=alice-secret]',
    '--add-scram',
    'SCRAM-SHA-512=[name=alice,iterations=8192,salt="c2FsdA==",password=alice-512]',
    '--add-scram',
    `SCRAM-SHA-256=[name=bob,iterations=4096,salt="c2FsdA==",saltedpassword="${scramSaltedPassword('SCRAM-SHA-256', 'bob-secret', Buffer.from('salt'), 4096).toString('base64')}"]`,
  ]);
  t.equal(formatted.code, 0, formatted.stderr);
  const atFormat = imageOf(dataDir);
  t.ok(authenticates(atFormat, 'alice', 'alice-secret', 'SCRAM-SHA-256'), 'password= form');
  t.ok(authenticates(atFormat, 'alice', 'alice-512', 'SCRAM-SHA-512'), 'iterations= and salt= form');
  t.ok(authenticates(atFormat, 'bob', 'bob-secret', 'SCRAM-SHA-256'), 'saltedpassword= form');
  t.equal(atFormat.scramCredentials.get('alice')!.get('SCRAM-SHA-512')!.salt.toString(), 'salt');

  let broker: BrokerProcess | undefined = await spawnBroker({ dataDir });
  t.teardown(() => broker?.stop());
  t.same(await describe(broker.port, null), [
    ['alice', 0, '', [[SHA256, 4096], [SHA512, 8192]]],
    ['bob', 0, '', [[SHA256, 4096]]],
  ]);
  t.same(await describe(broker.port, ['bob', 'nobody', 'alice', 'alice']), [
    ['bob', 0, '', [[SHA256, 4096]]],
    ['nobody', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: nobody', []],
    ['alice', ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: alice', []],
  ]);

  const c = await RawClient.connect(broker.port);
  const salt = Buffer.from('carol-salt');
  const altered = await c.request(AlterUserScramCredentials, 0, {
    deletions: [
      { name: 'alice', mechanism: SHA512 },
      { name: 'bob', mechanism: SHA512 },
    ],
    upsertions: [
      { name: 'carol', mechanism: SHA256, iterations: 4096, salt, saltedPassword: scramSaltedPassword('SCRAM-SHA-256', 'carol-secret', salt, 4096) },
      { name: 'dave', mechanism: SHA256, iterations: 100, salt, saltedPassword: Buffer.from('x') },
    ],
  });
  c.close();
  t.same(
    altered.results.map((r) => [r.user, r.errorCode, r.errorMessage]),
    [
      ['alice', 0, null],
      ['carol', 0, null],
      ['bob', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
      ['dave', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
    ],
  );

  // confluent-kafka's AdminClient (librdkafka salts the password with PBKDF2 itself).
  let clientChecked = false;
  try {
    confluentNewestDriver.check();
    clientChecked = true;
  } catch (e) {
    t.fail(`confluent-kafka not installed: ${(e as Error).message}`);
  }
  if (clientChecked) {
    const ck = async (...args: string[]): Promise<unknown[]> => {
      const { cmd, args: full } = confluentNewestDriver.command([]);
      const script = full[0]!.replace(/newest_ck\.py$/, 'ck_scram.py');
      const r = await run(cmd, [script, broker!.bootstrap, ...args], { timeoutMs: 60_000 });
      t.equal(r.code, 0, `ck_scram.py ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    };
    t.same(await ck('upsert', 'erin', 'SCRAM-SHA-512', '4096', 'erin-secret'), [{ user: 'erin', error: null }], `${confluentNewestDriver.label}: upsert`);
    t.same(await ck('upsert', 'erin', 'SCRAM-SHA-512', '20000', 'x'), [{ user: 'erin', error: 'UNACCEPTABLE_CREDENTIAL' }]);
    t.same(await ck('delete', 'nobody', 'SCRAM-SHA-256'), [{ user: 'nobody', error: 'RESOURCE_NOT_FOUND' }]);
    t.same(await ck('describe', 'erin', 'nobody'), [
      { user: 'erin', credentials: [['SCRAM-SHA-512', 4096]] },
      { user: 'nobody', error: 'RESOURCE_NOT_FOUND' },
    ]);
    t.same(await ck('describe'), [
      { user: 'alice', credentials: [['SCRAM-SHA-256', 4096]] },
      { user: 'bob', credentials: [['SCRAM-SHA-256', 4096]] },
      { user: 'carol', credentials: [['SCRAM-SHA-256', 4096]] },
      { user: 'erin', credentials: [['SCRAM-SHA-512', 4096]] },
    ]);
  }

  // kafka-python 3's KafkaAdminClient (salts the password itself too; answers with messages, not codes).
  let kpChecked = false;
  try {
    kafkaPythonNewestDriver.check();
    kpChecked = true;
  } catch (e) {
    t.fail(`kafka-python not installed: ${(e as Error).message}`);
  }
  if (kpChecked) {
    const kp = async (...args: string[]): Promise<unknown[]> => {
      const { cmd, args: full } = kafkaPythonNewestDriver.command([]);
      const script = full[0]!.replace(/newest_kp\.py$/, 'kp_scram.py');
      const r = await run(cmd, [script, broker!.bootstrap, ...args], { timeoutMs: 60_000 });
      t.equal(r.code, 0, `kp_scram.py ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    };
    t.same(await kp('upsert', 'gina', 'SCRAM-SHA-256', '4096', 'gina-secret'), [{ user: 'gina', error: null }], `${kafkaPythonNewestDriver.label}: upsert`);
    t.same(await kp('upsert', 'gina', 'SCRAM-SHA-256', '100', 'x'), [{ user: 'gina', error: 'Too few iterations' }]);
    t.same(await kp('delete', 'nobody', 'SCRAM-SHA-512'), [{ user: 'nobody', error: 'Attempt to delete a user credential that does not exist' }]);
    t.same(await kp('describe', 'gina', 'nobody'), [
      { user: 'gina', credentials: [['SCRAM-SHA-256', 4096]] },
      { user: 'nobody', error: 'Attempt to describe a user credential that does not exist: nobody' },
    ]);
    t.same(await kp('delete', 'gina', 'SCRAM-SHA-256'), [{ user: 'gina', error: null }]);
  }

  t.equal(await broker.stop(), 0);
  const stopped = imageOf(dataDir);
  t.ok(authenticates(stopped, 'carol', 'carol-secret', 'SCRAM-SHA-256'), 'the raw upsertion authenticates');
  if (clientChecked) t.ok(authenticates(stopped, 'erin', 'erin-secret', 'SCRAM-SHA-512'), "confluent-kafka's upsertion authenticates");
  t.notOk(authenticates(stopped, 'alice', 'alice-512', 'SCRAM-SHA-512'), 'the deleted credential is gone');
  t.notOk(stopped.scramCredentials.has('dave'));

  broker = await spawnBroker({ dataDir });
  t.same(
    (await describe(broker.port, null)).map(([user, , , infos]) => [user, infos]),
    [
      ['alice', [[SHA256, 4096]]],
      ['bob', [[SHA256, 4096]]],
      ['carol', [[SHA256, 4096]]],
      ...(clientChecked ? [['erin', [[SHA512, 4096]]]] : []),
    ],
    'the same credentials after a restart',
  );
  t.equal(await broker.stop(), 0);
  broker = undefined;
});
