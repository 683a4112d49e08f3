/**
 * Client telemetry (KIP-714). `client-metrics-configs` runs in the main suite: the CLIENT_METRICS
 * config resource (type 16) through IncrementalAlterConfigs, AlterConfigs and DescribeConfigs;
 * `list-config-resources` lists them and the other config resources (ListConfigResources, 74).
 * TELEMETRY_SCENARIOS (GetTelemetrySubscriptions 71, PushTelemetry 72) need a Kafka that serves
 * those APIs, which it does only with a telemetry receiver plugin: telemetry-differential.test.ts
 * starts one.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import { AlterConfigs, DescribeConfigs, GetTelemetrySubscriptions, IncrementalAlterConfigs, ListConfigResources, PushTelemetry } from '../../../src/protocol/generated/index.js';
import { createTopic } from './util.js';

const CLIENT_METRICS = 16;
const SET = 0;
const DELETE = 1;
const APPEND = 2;

type Op = { name: string; configOperation: number; value: string | null };

async function alter(t: Target, name: string, configs: Op[], validateOnly = false): Promise<unknown> {
  const res = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: CLIENT_METRICS, resourceName: name, configs }], validateOnly });
  return res.responses.map((r) => ({ errorCode: r.errorCode, resourceType: r.resourceType, resourceName: r.resourceName }));
}

async function describe(t: Target, name: string, keys: string[] | null = null): Promise<unknown> {
  const res = await t.request(DescribeConfigs, 4, { resources: [{ resourceType: CLIENT_METRICS, resourceName: name, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false });
  return res.results.map((r) => ({
    errorCode: r.errorCode,
    resourceName: r.resourceName,
    configs: [...r.configs].sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

const set = (name: string, value: string): Op => ({ name, configOperation: SET, value });

/**
 * Waits (up to 5 s) until DescribeConfigs shows `key` of the resource set to `value`, or at its
 * default for null: Kafka applies an alteration on its broker a moment after answering it, so a
 * describe or a telemetry request right after may still see the old configs.
 */
async function settle(t: Target, resourceType: number, name: string, key: string, value: string | null): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const res = await t.request(DescribeConfigs, 4, { resources: [{ resourceType, resourceName: name, configurationKeys: [key] }], includeSynonyms: false, includeDocumentation: false });
    const c = res.results[0]?.configs.find((x) => x.name === key);
    if (value === null ? c === undefined || c.configSource === 5 : c?.value === value) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const clientMetricsConfigScenarios: Scenario[] = [
  {
    name: 'client-metrics-configs',
    async run(t, see) {
      see.see('describe/unknown', await describe(t, 'cm-none'));
      see.see('describe/empty-name', await describe(t, ''));
      see.see('alter/set', await alter(t, 'cm-a', [set('metrics', 'org.apache.kafka.producer., org.apache.kafka.consumer.'), set('interval.ms', '1000'), set('match', 'client_id=app-.*,client_software_name=apache-kafka-java')]));
      await settle(t, CLIENT_METRICS, 'cm-a', 'interval.ms', '1000');
      see.see('describe/set', await describe(t, 'cm-a'));
      see.see('describe/keys', await describe(t, 'cm-a', ['interval.ms', 'no.such']));
      see.see('alter/append', await alter(t, 'cm-a', [{ name: 'metrics', configOperation: APPEND, value: 'org.apache.kafka.consumer.,x.y' }]));
      see.see('describe/after-append', await describe(t, 'cm-a'));
      see.see('alter/append-interval', await alter(t, 'cm-a', [{ name: 'interval.ms', configOperation: APPEND, value: '5' }]));
      see.see('alter/delete', await alter(t, 'cm-a', [{ name: 'match', configOperation: DELETE, value: null }]));
      await settle(t, CLIENT_METRICS, 'cm-a', 'match', null);
      see.see('describe/after-delete', await describe(t, 'cm-a'));
      see.see('alter/empty-name', await alter(t, '', [set('interval.ms', '1000')]));
      see.see('alter/unknown-config', await alter(t, 'cm-b', [set('no.such', '1')]));
      see.see('alter/interval-low', await alter(t, 'cm-b', [set('interval.ms', '99')]));
      see.see('alter/interval-high', await alter(t, 'cm-b', [set('interval.ms', '3600001')]));
      see.see('alter/interval-not-a-number', await alter(t, 'cm-b', [set('interval.ms', 'soon')]));
      see.see('alter/interval-edges', await alter(t, 'cm-b', [set('interval.ms', '100')]));
      await settle(t, CLIENT_METRICS, 'cm-b', 'interval.ms', '100');
      see.see('alter/match-no-equals', await alter(t, 'cm-b', [set('match', 'client_id')]));
      see.see('alter/match-unknown-selector', await alter(t, 'cm-b', [set('match', 'client_rack=a')]));
      see.see('alter/match-bad-regex', await alter(t, 'cm-b', [set('match', 'client_id=(')]));
      see.see('alter/match-two-equals', await alter(t, 'cm-b', [set('match', 'client_id=a=b')]));
      see.see('alter/validate-only', await alter(t, 'cm-c', [set('metrics', '*')], true));
      see.see('describe/after-validate-only', await describe(t, 'cm-c'));
      see.see('describe/cm-b', await describe(t, 'cm-b'));
      // Every config deleted: the subscription is gone.
      see.see('alter/delete-all', await alter(t, 'cm-b', [{ name: 'interval.ms', configOperation: DELETE, value: null }]));
      await settle(t, CLIENT_METRICS, 'cm-b', 'interval.ms', null);
      see.see('describe/after-delete-all', await describe(t, 'cm-b'));
      const legacy = await t.request(AlterConfigs, 2, { resources: [{ resourceType: CLIENT_METRICS, resourceName: 'cm-d', configs: [{ name: 'interval.ms', value: '2000' }] }], validateOnly: false });
      see.see('alter-configs/legacy', legacy.responses.map((r) => ({ errorCode: r.errorCode, resourceName: r.resourceName })));
      await settle(t, CLIENT_METRICS, 'cm-d', 'interval.ms', '2000');
      see.see('describe/cm-d', await describe(t, 'cm-d'));
      // Clean up, so that the telemetry scenarios (same subscriptions on both brokers) start from none.
      await alter(t, 'cm-a', [{ name: 'metrics', configOperation: DELETE, value: null }, { name: 'interval.ms', configOperation: DELETE, value: null }]);
      await t.request(AlterConfigs, 2, { resources: [{ resourceType: CLIENT_METRICS, resourceName: 'cm-d', configs: [] }], validateOnly: false });
    },
  },
  {
    name: 'list-config-resources',
    async run(t, see) {
      see.code('create', await createTopic(t, 'lcr-topic'));
      see.see('alter', await t.request(IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: CLIENT_METRICS, resourceName: 'lcr-sub', configs: [set('interval.ms', '1000')] },
          { resourceType: 32, resourceName: 'lcr-group', configs: [set('consumer.session.timeout.ms', '50000')] },
        ],
        validateOnly: false,
      }).then((r) => r.responses.map((x) => x.errorCode)));
      await settle(t, CLIENT_METRICS, 'lcr-sub', 'interval.ms', '1000');
      await settle(t, 32, 'lcr-group', 'consumer.session.timeout.ms', '50000');
      see.see('v0', await listConfigResources(t, 0, []));
      for (const types of [[], [16], [32], [4], [8], [2], [2, 16], [99], [16, 1]]) see.see(`v1/${types.join('-') || 'all'}`, await listConfigResources(t, 1, types));
      await t.request(IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: CLIENT_METRICS, resourceName: 'lcr-sub', configs: [{ name: 'interval.ms', configOperation: DELETE, value: null }] },
          { resourceType: 32, resourceName: 'lcr-group', configs: [{ name: 'consumer.session.timeout.ms', configOperation: DELETE, value: null }] },
        ],
        validateOnly: false,
      });
    },
  },
];

/**
 * ListConfigResources (74): what this scenario made (names starting lcr-) and the brokers; other
 * scenarios' topics are left out so that the observation does not depend on them.
 */
async function listConfigResources(t: Target, v: number, resourceTypes: number[]): Promise<unknown> {
  const res = await t.request(ListConfigResources, v, { resourceTypes });
  const ours = res.configResources.filter((r) => r.resourceName.startsWith('lcr-') || r.resourceType === 4 || r.resourceType === 8);
  return { errorCode: res.errorCode, configResources: ours.map((r) => ({ ...r, resourceName: r.resourceType === 4 || r.resourceType === 8 ? '<node>' : r.resourceName })) };
}

const ZERO = Buffer.alloc(16);

/** A subscription answer with what differs between two brokers by design reduced (random instance ids, subscription ids). */
function subscriptionView(r: { errorCode: number; clientInstanceId: Buffer; subscriptionId: number; acceptedCompressionTypes: number[]; pushIntervalMs: number; telemetryMaxBytes: number; deltaTemporality: boolean; requestedMetrics: string[] }): unknown {
  return {
    errorCode: r.errorCode,
    instanceIdSet: !r.clientInstanceId.equals(ZERO),
    subscriptionIdSet: r.subscriptionId !== 0,
    acceptedCompressionTypes: r.acceptedCompressionTypes,
    // Not named ...Ms: the differential normaliser would hide it as a time.
    pushInterval: r.pushIntervalMs,
    telemetryMaxBytes: r.telemetryMaxBytes,
    deltaTemporality: r.deltaTemporality,
    requestedMetrics: [...r.requestedMetrics].sort(),
  };
}

async function push(t: Target, body: { clientInstanceId: Buffer; subscriptionId: number; terminating?: boolean; compressionType?: number; metrics?: Buffer }): Promise<string> {
  const res = await t.request(PushTelemetry, 0, { terminating: false, compressionType: 0, metrics: Buffer.alloc(0), ...body });
  return String(res.errorCode);
}

async function seeTelemetry(t: Target, see: Recorder, label: string, id: Buffer): Promise<{ clientInstanceId: Buffer; subscriptionId: number }> {
  const res = await t.request(GetTelemetrySubscriptions, 0, { clientInstanceId: id });
  see.see(label, subscriptionView(res));
  return res;
}

export const TELEMETRY_SCENARIOS: Scenario[] = [
  {
    name: 'telemetry-no-subscription',
    async run(t, see) {
      const first = await seeTelemetry(t, see, 'get/new', ZERO);
      // At once again: before the push interval.
      see.see('get/again', subscriptionView(await t.request(GetTelemetrySubscriptions, 0, { clientInstanceId: first.clientInstanceId })));
      see.see('push/no-metrics', await push(t, { clientInstanceId: first.clientInstanceId, subscriptionId: first.subscriptionId }));
      see.see('push/zero-id', await push(t, { clientInstanceId: ZERO, subscriptionId: first.subscriptionId }));
      see.see('push/reserved-id', await push(t, { clientInstanceId: Buffer.from('00000000000000000000000000000001', 'hex'), subscriptionId: 1 }));
    },
  },
  {
    name: 'telemetry-subscribed',
    async run(t, see) {
      see.see('alter', await alter(t, 'tel-all', [set('metrics', 'org.apache.kafka.producer.,org.apache.kafka.consumer.'), set('interval.ms', '200')]));
      await settle(t, CLIENT_METRICS, 'tel-all', 'interval.ms', '200');
      see.see('alter-other', await alter(t, 'tel-never', [set('metrics', '*'), set('match', 'client_id=never-.*')]));
      await settle(t, CLIENT_METRICS, 'tel-never', 'metrics', '*');
      const sub = await seeTelemetry(t, see, 'get/new', ZERO);
      const id = sub.clientInstanceId;
      see.see('push/first', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId, metrics: Buffer.from([0x0a, 0x00]) }));
      see.see('push/too-soon', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId, metrics: Buffer.from([0x0a, 0x00]) }));
      await new Promise((r) => setTimeout(r, 250));
      see.see('push/wrong-subscription', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId ^ 1 }));
      await new Promise((r) => setTimeout(r, 250));
      see.see('push/bad-compression', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId, compressionType: 9 }));
      await new Promise((r) => setTimeout(r, 250));
      see.see('push/too-large', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId, metrics: Buffer.alloc(2048) }));
      await new Promise((r) => setTimeout(r, 250));
      see.see('push/ok', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId, metrics: Buffer.from([0x0a, 0x00]) }));
      see.see('push/terminating', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId, terminating: true }));
      see.see('push/after-terminating', await push(t, { clientInstanceId: id, subscriptionId: sub.subscriptionId }));
      // A subscription change is seen at once by the next GetTelemetrySubscriptions.
      see.see('alter-interval', await alter(t, 'tel-all', [set('interval.ms', '300')]));
      await settle(t, CLIENT_METRICS, 'tel-all', 'interval.ms', '300');
      const other = await seeTelemetry(t, see, 'get/other-client', ZERO);
      see.see('alter-metrics', await alter(t, 'tel-all', [set('metrics', '*')]));
      await settle(t, CLIENT_METRICS, 'tel-all', 'metrics', '*');
      const changed = await seeTelemetry(t, see, 'get/after-change', other.clientInstanceId);
      see.see('subscription-id-changed', changed.subscriptionId !== other.subscriptionId);
      see.see('push/old-subscription', await push(t, { clientInstanceId: other.clientInstanceId, subscriptionId: other.subscriptionId }));
      await alter(t, 'tel-all', [{ name: 'metrics', configOperation: DELETE, value: null }, { name: 'interval.ms', configOperation: DELETE, value: null }]);
      await alter(t, 'tel-never', [{ name: 'metrics', configOperation: DELETE, value: null }, { name: 'match', configOperation: DELETE, value: null }]);
    },
  },
];
