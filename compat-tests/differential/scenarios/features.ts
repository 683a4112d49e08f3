/**
 * UpdateFeatures (57, KIP-584): every refusal of Kafka's FeatureControlManager (upgrade types,
 * directions, supported ranges, unknown features) with the exact message text (under `text`, the
 * controller's node id replaced), validate-only at v0-v2, and real changes of transaction.version
 * and group.version seen through ApiVersions, then undone: the two features Kafka's and Sluice's
 * format finalize at the same levels. Runs last, so no other scenario sees a changed level.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import { ApiVersions, ConsumerGroupHeartbeat, UpdateFeatures } from '../../../src/protocol/generated/index.js';
import { errorName } from '../../../src/protocol/errors.js';
import { settled } from './util.js';

const UPGRADE = 1;
const SAFE_DOWNGRADE = 2;
const UNSAFE_DOWNGRADE = 3;

interface Update {
  feature: string;
  level: number;
  type?: number;
  allowDowngrade?: boolean;
}

async function update(t: Target, see: Recorder, name: string, version: number, updates: Update[], validateOnly: boolean): Promise<void> {
  const res = await t.request(UpdateFeatures, version, {
    timeoutMs: 30000,
    featureUpdates: updates.map((u) => ({ feature: u.feature, maxVersionLevel: u.level, allowDowngrade: u.allowDowngrade ?? false, upgradeType: u.type ?? UPGRADE })),
    validateOnly,
  });
  see.see(name, {
    error: errorName(res.errorCode),
    text: res.errorMessage?.replace(/controller \d+/g, 'controller <node>') ?? null,
    results: res.results.map((r) => ({ feature: r.feature, error: errorName(r.errorCode), text: r.errorMessage })),
  });
}

/**
 * The finalized level of each feature named, as ApiVersions v4 reports it ('unset' when absent);
 * waits up to 3 s for `expect` (a broker applies the controller's record a moment later).
 */
async function finalized(t: Target, see: Recorder, name: string, features: string[], expect?: Record<string, string>): Promise<void> {
  const read = async (): Promise<Record<string, string>> => {
    const r = await t.request(ApiVersions, 4, { clientSoftwareName: 'sluice-differential', clientSoftwareVersion: '1.0' });
    return Object.fromEntries(
      features.map((f) => {
        const x = r.finalizedFeatures.find((y) => y.name === f);
        return [f, x ? `${x.minVersionLevel}-${x.maxVersionLevel}` : 'unset'];
      }),
    );
  };
  see.see(name, await settled(read, (levels) => !expect || JSON.stringify(levels) === JSON.stringify(expect)));
}

export const featureScenarios: Scenario[] = [
  {
    name: 'update-features',
    async run(t, see) {
      const tv = 'transaction.version';
      // Validate-only: answers without changing anything.
      await update(t, see, 'validate/v2-safe-downgrade', 2, [{ feature: tv, level: 1, type: SAFE_DOWNGRADE }], true);
      await update(t, see, 'validate/v1-safe-downgrade', 1, [{ feature: tv, level: 1, type: SAFE_DOWNGRADE }], true);
      await update(t, see, 'validate/v1-two-features', 1, [{ feature: tv, level: 2 }, { feature: 'group.version', level: 1 }], true);
      await update(t, see, 'validate/v2-same-level-downgrade-type', 2, [{ feature: tv, level: 2, type: UNSAFE_DOWNGRADE }], true);
      // Refusals, in the order Kafka checks.
      await update(t, see, 'refused/upgrade-type-0', 2, [{ feature: tv, level: 1, type: 0 }], true);
      await update(t, see, 'refused/upgrade-type-4', 2, [{ feature: tv, level: 1, type: 4 }], true);
      await update(t, see, 'refused/negative-level', 2, [{ feature: tv, level: -1, type: SAFE_DOWNGRADE }], true);
      await update(t, see, 'refused/above-supported', 2, [{ feature: tv, level: 3 }], true);
      await update(t, see, 'refused/unknown-feature', 2, [{ feature: 'no.such.feature', level: 1 }], true);
      await update(t, see, 'refused/unknown-feature-level-0', 2, [{ feature: 'no.such.feature', level: 0 }], true);
      await update(t, see, 'refused/downgrade-as-upgrade', 2, [{ feature: tv, level: 1 }], true);
      await update(t, see, 'refused/v0-allow-downgrade', 0, [{ feature: tv, level: 1, allowDowngrade: true }], false);
      await update(t, see, 'refused/one-of-two', 1, [{ feature: 'group.version', level: 1 }, { feature: tv, level: 1 }], false);
      await update(t, see, 'metadata-version/same', 2, [{ feature: 'metadata.version', level: 27 }], true);
      await finalized(t, see, 'unchanged', [tv, 'group.version']);

      // Real changes, each undone.
      await update(t, see, 'apply/transaction-version-1', 2, [{ feature: tv, level: 1, type: SAFE_DOWNGRADE }], false);
      await finalized(t, see, 'apply/transaction-version-1/finalized', [tv], { [tv]: '1-1' });
      await update(t, see, 'apply/downgrade-type-upwards', 2, [{ feature: tv, level: 2, type: SAFE_DOWNGRADE }], true);
      await update(t, see, 'apply/transaction-version-2', 2, [{ feature: tv, level: 2 }], false);
      await finalized(t, see, 'apply/transaction-version-2/finalized', [tv], { [tv]: '2-2' });

      await update(t, see, 'apply/group-version-0', 1, [{ feature: 'group.version', level: 0, type: SAFE_DOWNGRADE }], false);
      await finalized(t, see, 'apply/group-version-0/finalized', ['group.version'], { 'group.version': 'unset' });
      const hb = await t.request(ConsumerGroupHeartbeat, 0, {
        groupId: 'df-features-g',
        memberId: 'df-member-0000000000',
        memberEpoch: 0,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30000,
        subscribedTopicNames: ['df-features'],
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: [],
      });
      see.see('apply/group-version-0/consumer-heartbeat', { error: errorName(hb.errorCode), text: hb.errorMessage });
      await update(t, see, 'apply/group-version-1', 2, [{ feature: 'group.version', level: 1 }], false);
      await finalized(t, see, 'apply/group-version-1/finalized', ['group.version'], { 'group.version': '1-1' });
    },
  },
];
