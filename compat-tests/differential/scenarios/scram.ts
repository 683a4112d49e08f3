/**
 * SCRAM credentials (issue 13): DescribeUserScramCredentials (50) and AlterUserScramCredentials (51),
 * every refusal of Kafka's ScramControlManager and ScramImage, compared with the exact message
 * text (recorded under `text`, which normalise() leaves alone). Results of one request are sorted
 * by user, and a user's credentials by mechanism: Kafka lists both in hash-map order, which
 * changes from one run to the next.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import { AlterUserScramCredentials, DescribeUserScramCredentials } from '../../../src/protocol/generated/index.js';
import type { AlterUserScramCredentialsRequest } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { scramSaltedPassword } from '../../../src/auth/scram.js';
import { settled } from './util.js';

type Upsertion = AlterUserScramCredentialsRequest['upsertions'][number];

function upsertion(name: string, mechanism: number, iterations: number, over: Partial<Upsertion> = {}): Upsertion {
  const salt = Buffer.from(`salt-${name}`);
  const m = mechanism === 2 ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256';
  return { name, mechanism, iterations, salt, saltedPassword: scramSaltedPassword(m, `${name}-pw`, salt, 4096), ...over };
}

async function alter(t: Target, see: Recorder, name: string, req: Partial<AlterUserScramCredentialsRequest>): Promise<void> {
  const res = await t.request(AlterUserScramCredentials, 0, { deletions: [], upsertions: [], ...req });
  const results = [...res.results].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  see.see(name, results.map((r) => ({ user: r.user, error: errorName(r.errorCode), text: r.errorMessage })));
}

async function describe(t: Target, see: Recorder, name: string, users: string[] | null): Promise<void> {
  const res = await t.request(DescribeUserScramCredentials, 0, { users: users === null ? null : users.map((n) => ({ name: n })) });
  const results = [...res.results].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  see.see(name, {
    error: errorName(res.errorCode),
    text: res.errorMessage,
    results: results.map((r) => ({ user: r.user, error: errorName(r.errorCode), text: r.errorMessage, credentials: r.credentialInfos.map((c) => [c.mechanism, c.iterations]).sort((a, b) => a[0]! - b[0]!) })),
  });
}

/**
 * Kafka answers an alteration once its controller committed it; its broker's image (which Describe
 * reads) catches up a moment later. Waits until Describe shows `user` with a credential of
 * `iterations` (any, if not given), at most 3 s: then the comparison shows what differs.
 */
async function visible(t: Target, user: string, iterations?: number): Promise<void> {
  await settled(
    () => t.request(DescribeUserScramCredentials, 0, { users: [{ name: user }] }),
    (res) => res.results[0]?.errorCode === 0 && (iterations === undefined || res.results[0].credentialInfos.some((c) => c.iterations === iterations)),
  );
}

export const scramScenarios: Scenario[] = [
  {
    name: 'scram-credentials',
    async run(t, see) {
      await describe(t, see, 'describe/none-yet', null);
      await describe(t, see, 'describe/missing', ['nobody']);
      await alter(t, see, 'alter/create', { upsertions: [upsertion('alice', 1, 4096), upsertion('bob', 2, 8192)] });
      await alter(t, see, 'alter/second-mechanism', { upsertions: [upsertion('alice', 2, 16384)] });
      await alter(t, see, 'alter/replace', { upsertions: [upsertion('bob', 2, 4096)] });
      await visible(t, 'bob', 4096);
      await describe(t, see, 'describe/all', null);
      await describe(t, see, 'describe/empty-list', []);
      await describe(t, see, 'describe/named', ['alice', 'nobody', 'bob', 'bob', 'bob']);
      await alter(t, see, 'alter/empty-user', { upsertions: [upsertion('', 1, 4096)] });
      await alter(t, see, 'alter/empty-user-deletion', { deletions: [{ name: '', mechanism: 1 }] });
      await alter(t, see, 'alter/mechanism-0', { upsertions: [upsertion('carol', 0, 4096)] });
      await alter(t, see, 'alter/mechanism-3-deletion', { deletions: [{ name: 'alice', mechanism: 3 }] });
      await alter(t, see, 'alter/too-few-iterations', { upsertions: [upsertion('carol', 1, 4095)] });
      await alter(t, see, 'alter/too-many-iterations', { upsertions: [upsertion('carol', 2, 16385)] });
      await alter(t, see, 'alter/delete-missing-mechanism', { deletions: [{ name: 'bob', mechanism: 1 }] });
      await alter(t, see, 'alter/delete-missing-user', { deletions: [{ name: 'nobody', mechanism: 2 }] });
      await alter(t, see, 'alter/twice-upserted', { upsertions: [upsertion('carol', 1, 4096), upsertion('carol', 2, 4096)] });
      await alter(t, see, 'alter/deleted-and-upserted', { deletions: [{ name: 'alice', mechanism: 1 }], upsertions: [upsertion('alice', 2, 4096)] });
      await alter(t, see, 'alter/twice-deleted', { deletions: [{ name: 'alice', mechanism: 1 }, { name: 'alice', mechanism: 2 }] });
      await alter(t, see, 'alter/failed-then-again', { upsertions: [upsertion('dave', 1, 10), upsertion('dave', 1, 4096)] });
      await alter(t, see, 'alter/empty-salted-password', { upsertions: [upsertion('erin', 1, 4096, { saltedPassword: Buffer.alloc(0) })] });
      await alter(t, see, 'alter/empty-salt', { upsertions: [upsertion('frank', 1, 4096, { salt: Buffer.alloc(0) })] });
      await alter(t, see, 'alter/mixed', { deletions: [{ name: 'alice', mechanism: 1 }, { name: 'nobody', mechanism: 1 }], upsertions: [upsertion('gina', 1, 4096), upsertion('hank', 1, 1)] });
      await visible(t, 'gina');
      await describe(t, see, 'describe/after', null);
      await alter(t, see, 'alter/nothing', {});
    },
  },
];
