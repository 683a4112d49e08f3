/**
 * UpdateFeatures over the wire against a broker started in process: what each version answers,
 * the refusals (nothing written), a change seen by ApiVersions and by the APIs it gates
 * (share.version 0: the share APIs answer UNSUPPORTED_VERSION), and kept across a restart.
 * The refusals' texts are compared with Kafka 4.1.1 in the differential scenario `update-features`.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { Broker } from '../broker.js';
import { silentLogger } from '../logger.js';
import { NodeClient } from '../net/node-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiVersions, ConsumerGroupDescribe, ConsumerGroupHeartbeat, ShareGroupHeartbeat, UpdateFeatures } from '../protocol/generated/index.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const data = tmpDataDir('sluice-update-features-');
let broker: Broker;
let client: NodeClient;
const OPTS = { host: '127.0.0.1', clientId: 'update-features-test', requestTimeoutMs: 5000, connectTimeoutMs: 2000, reconnectBackoffMs: 50, inFlightMax: 5, responseBytesMax: 1 << 20 };

async function start(): Promise<void> {
  broker = await Broker.start({ dataDir: data.dir, logger: silentLogger, overrides: ['listeners=PLAINTEXT://127.0.0.1:0'] });
  client = new NodeClient({ ...OPTS, port: broker.listenPort });
}

t.before(start);
t.teardown(async () => {
  client?.close();
  await broker?.stop();
  data.remove();
});

const update = (version: number, updates: Array<{ feature: string; level: number; type?: number; allowDowngrade?: boolean }>, validateOnly = false) =>
  client.request(
    UpdateFeatures,
    {
      timeoutMs: 30000,
      featureUpdates: updates.map((u) => ({ feature: u.feature, maxVersionLevel: u.level, allowDowngrade: u.allowDowngrade ?? false, upgradeType: u.type ?? 1 })),
      validateOnly,
    },
    { version },
  );

async function finalized(): Promise<Record<string, number>> {
  const r = await client.request(ApiVersions, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  return Object.fromEntries(r.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));
}

const shareHeartbeat = async () =>
  (await client.request(ShareGroupHeartbeat, { groupId: 'uf-share', memberId: randomUUID(), memberEpoch: 0, rackId: null, subscribedTopicNames: ['uf-topic'] }, { version: 1 })).errorCode;

t.test('validate-only and refusals change nothing; v0-1 list the features, v2 does not', async (t) => {
  const before = await finalized();
  const offset = broker.image.lastOffset;
  const v1 = await update(1, [{ feature: 'transaction.version', level: 1, type: 2 }, { feature: 'group.version', level: 1 }], true);
  t.equal(v1.errorCode, ErrorCode.NONE);
  t.same(v1.results.map((r) => [r.feature, r.errorCode]), [['transaction.version', 0], ['group.version', 0]], 'v1: a result per feature');
  const v2 = await update(2, [{ feature: 'transaction.version', level: 1, type: 2 }], true);
  t.equal(v2.errorCode, ErrorCode.NONE);
  t.same(v2.results, [], 'v2: the top-level error only');

  const refusals: Array<[string, Awaited<ReturnType<typeof update>>, RegExp]> = [
    ['a downgrade as an upgrade', await update(2, [{ feature: 'transaction.version', level: 1 }]), /Can't downgrade the version of this feature without setting the upgrade type/],
    ['v0 ignores AllowDowngrade, as Kafka', await update(0, [{ feature: 'transaction.version', level: 1, allowDowngrade: true }]), /without setting the upgrade type/],
    ['above the supported range', await update(2, [{ feature: 'transaction.version', level: 3 }]), /only supports versions 0-2$/],
    ['a feature Sluice supports at 0 only', await update(2, [{ feature: 'eligible.leader.replicas.version', level: 1 }]), /does not support this feature/],
    ['an unknown feature', await update(2, [{ feature: 'no.such.feature', level: 0 }]), /Feature no\.such\.feature not found/],
    ['an unknown upgrade type', await update(2, [{ feature: 'transaction.version', level: 1, type: 7 }]), /does not support the given upgrade type/],
    ['metadata.version below 27', await update(2, [{ feature: 'metadata.version', level: 26, type: 2 }]), /only supports versions 27-27$/],
    ['one good and one bad: neither', await update(2, [{ feature: 'group.version', level: 0, type: 2 }, { feature: 'transaction.version', level: 5 }]), /transaction\.version/],
  ];
  for (const [what, res, text] of refusals) {
    t.equal(res.errorCode, ErrorCode.INVALID_UPDATE_VERSION, what);
    t.match(res.errorMessage, /^The update failed for all features since the following feature had an error: Invalid update version/, what);
    t.match(res.errorMessage, text, what);
    t.same(res.results, [], `${what}: no per-feature results`);
  }
  t.equal(broker.image.lastOffset, offset, 'nothing written');
  t.same(await finalized(), before, 'the finalized levels unchanged');
});

t.test('a change is written, seen by ApiVersions and the APIs it gates, and kept across a restart', async (t) => {
  t.equal(await shareHeartbeat(), ErrorCode.NONE, 'share groups on (share.version 1)');
  const off = await update(2, [{ feature: 'share.version', level: 0, type: 2 }, { feature: 'transaction.version', level: 1, type: 2 }]);
  t.equal(off.errorCode, ErrorCode.NONE, String(off.errorMessage));
  const levels = await finalized();
  t.equal(levels['share.version'], undefined, 'share.version 0: no longer finalized');
  t.equal(levels['transaction.version'], 1);
  t.equal(await shareHeartbeat(), ErrorCode.UNSUPPORTED_VERSION, 'the share APIs are off');
  const back = await update(2, [{ feature: 'share.version', level: 1, type: 2 }]);
  t.equal(back.errorCode, ErrorCode.INVALID_UPDATE_VERSION, 'a "downgrade" to a higher level is refused');
  t.match(back.errorMessage, /Can't downgrade to a newer version/);

  client.close();
  await broker.stop();
  await start();
  const after = await finalized();
  t.equal(after['share.version'], undefined, 'still off after a restart');
  t.equal(after['transaction.version'], 1);
  t.equal(await shareHeartbeat(), ErrorCode.UNSUPPORTED_VERSION);
  const on = await update(1, [{ feature: 'share.version', level: 1 }, { feature: 'transaction.version', level: 2 }]);
  t.equal(on.errorCode, ErrorCode.NONE, String(on.errorMessage));
  t.same((({ 'share.version': s, 'transaction.version': tv }) => [s, tv])(await finalized()), [1, 2], 'upgraded again');
  t.equal(await shareHeartbeat(), ErrorCode.NONE, 'share groups on again');
});

t.test('group.version 0 turns the KIP-848 APIs off, as Kafka; 1 turns them on again', async (t) => {
  const heartbeat = async () =>
    client.request(
      ConsumerGroupHeartbeat,
      { groupId: 'uf-g', memberId: randomUUID(), memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: ['uf-topic'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] },
      { version: 1 },
    );
  const describe = async () => (await client.request(ConsumerGroupDescribe, { groupIds: ['uf-g'], includeAuthorizedOperations: false }, { version: 1 })).groups[0]!.errorCode;
  t.equal((await heartbeat()).errorCode, ErrorCode.NONE, 'a member joins');
  t.equal((await update(2, [{ feature: 'group.version', level: 0, type: 2 }])).errorCode, ErrorCode.NONE);
  const off = await heartbeat();
  t.equal(off.errorCode, ErrorCode.UNSUPPORTED_VERSION, 'ConsumerGroupHeartbeat: UNSUPPORTED_VERSION');
  t.equal(off.errorMessage, null, 'no message, as Kafka answers it');
  t.equal(await describe(), ErrorCode.UNSUPPORTED_VERSION, 'ConsumerGroupDescribe too');
  t.equal((await update(2, [{ feature: 'group.version', level: 1 }])).errorCode, ErrorCode.NONE);
  t.equal((await heartbeat()).errorCode, ErrorCode.NONE, 'on again');
  t.equal(await describe(), ErrorCode.NONE);
});
