/**
 * Finalized features changed by real clients (KIP-584, UpdateFeatures): the Java admin client
 * 4.x (what `kafka-features.sh` runs) validates, refuses and applies updates against a real
 * `sluice start` process; a Java transactional producer then follows the level it finds
 * (transaction.version 1: AddPartitionsToTxn and EndTxn below v5; 2: neither AddPartitionsToTxn
 * nor an EndTxn below v5), as the recording proxy shows. On a 3-broker cluster an update sent
 * to a broker-only node is forwarded to the controller and reaches every broker's ApiVersions.
 * The wire answers themselves are compared with Kafka 4.1.1 in the differential scenario
 * `update-features`.
 */
import t from 'tap';
import { javaDriver } from './client-drivers.js';
import { createTopic, driverRun, startEnv, type Env } from './newest-clients.js';
import { until } from './harness.js';
import { RawClient } from './raw-client.js';
import { ApiVersions, UpdateFeatures } from '../src/protocol/generated/index.js';

async function features(env: Env, updates: string, validate = false): Promise<{ result: string; finalized: Record<string, number> }> {
  const out = await driverRun(javaDriver, ['features', env.bootstrap, updates, validate ? 'validate' : 'apply']);
  return { result: String(out.find((o) => o.event === 'updated')?.result), finalized: (out.find((o) => o.event === 'finalized')?.features ?? {}) as Record<string, number> };
}

/** A Java transactional producer's three transactions; the API versions it sent, from the proxy. */
async function transactions(env: Env, name: string): Promise<Record<string, string>> {
  await createTopic(env, name, 2);
  env.versions.seen.clear();
  const out = await driverRun(javaDriver, ['txn', env.bootstrap, name, `${name}-tx`]);
  if (out.filter((o) => o.step === 'txn').length !== 3) throw new Error(`the producer did not finish its transactions: ${JSON.stringify(out)}`);
  return env.versions.table();
}

t.test('Java admin client: validate, refuse and apply feature updates; a producer follows transaction.version', async (t) => {
  javaDriver.check();
  const env = await startEnv(t, 'sluice');

  const validated = await features(env, 'transaction.version=1:safe', true);
  t.equal(validated.result, 'ok', 'a validate-only safe downgrade passes');
  t.equal(validated.finalized['transaction.version'], 2, 'and changes nothing');

  const refused = await features(env, 'transaction.version=1:upgrade');
  t.equal(refused.result, 'InvalidUpdateVersionException', 'a downgrade sent as an upgrade is refused');
  t.equal(refused.finalized['transaction.version'], 2);
  t.equal((await features(env, 'no.such.feature=1:upgrade')).result, 'InvalidUpdateVersionException', 'an unknown feature is refused');

  const v2 = await transactions(env, 'features-tv2');
  t.equal(v2.AddPartitionsToTxn, undefined, 'transaction.version 2: partitions join with the Produce (no AddPartitionsToTxn)');
  t.ok(v2.EndTxn?.split(',').every((v) => Number(v) >= 5), `and EndTxn v5+ (v${v2.EndTxn})`);

  const down = await features(env, 'transaction.version=1:safe');
  t.equal(down.result, 'ok', 'a safe downgrade to transaction.version 1');
  t.equal(down.finalized['transaction.version'], 1, 'described at 1');
  const v1 = await transactions(env, 'features-tv1');
  t.ok(v1.AddPartitionsToTxn !== undefined, `transaction.version 1: the producer adds partitions with AddPartitionsToTxn (v${v1.AddPartitionsToTxn})`);
  t.ok(v1.EndTxn?.split(',').every((v) => Number(v) < 5), `and ends transactions below EndTxn v5 (v${v1.EndTxn})`);

  const up = await features(env, 'transaction.version=2:upgrade,group.version=1:upgrade');
  t.equal(up.result, 'ok', 'upgraded again');
  t.equal(up.finalized['transaction.version'], 2);
  t.equal(up.finalized['group.version'], 1);
});

t.test('a 3-broker cluster: an update sent to a broker-only node reaches every broker', async (t) => {
  const env = await startEnv(t, 'cluster');
  const nodes = env.cluster!.nodes;
  const shareLevel = async (port: number): Promise<number | undefined> => {
    const raw = await RawClient.connect(port);
    try {
      const r = await raw.request(ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
      return r.finalizedFeatures.find((f) => f.name === 'share.version')?.maxVersionLevel;
    } finally {
      raw.close();
    }
  };
  const send = async (port: number, level: number, upgradeType: number) => {
    const raw = await RawClient.connect(port);
    try {
      return await raw.request(UpdateFeatures, 1, { timeoutMs: 30000, featureUpdates: [{ feature: 'share.version', maxVersionLevel: level, allowDowngrade: false, upgradeType }], validateOnly: false });
    } finally {
      raw.close();
    }
  };
  for (const n of nodes) t.equal(await shareLevel(n.port), 1, `node ${n.nodeId}: share.version 1 from the format`);
  const down = await send(nodes[2]!.port, 0, 2);
  t.equal(down.errorCode, 0, `broker-only node ${nodes[2]!.nodeId} forwarded it to the controller: ${down.errorMessage}`);
  t.same(down.results.map((r) => [r.feature, r.errorCode]), [['share.version', 0]]);
  await until('every broker reports share.version unset', async () => (await Promise.all(nodes.map((n) => shareLevel(n.port)))).every((l) => l === undefined), 20_000);
  t.pass('every broker applied it');
  const refused = await send(nodes[1]!.port, 2, 1);
  t.equal(refused.errorCode, 95, `a level no broker supports: INVALID_UPDATE_VERSION (${refused.errorMessage})`);
  t.equal((await send(nodes[1]!.port, 1, 1)).errorCode, 0, 'upgraded again through another broker');
  await until('every broker reports share.version 1', async () => (await Promise.all(nodes.map((n) => shareLevel(n.port)))).every((l) => l === 1), 20_000);
  t.pass('every broker applied it');
});
