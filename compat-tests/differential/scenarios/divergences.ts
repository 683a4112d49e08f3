/**
 * The divergences of issue 11 (part 3), each settled against Apache Kafka: zstd topics and old
 * fetches, DescribeConfigs synonyms, the replication throttle topic configs, TxnOffsetCommit
 * errors, segment.bytes' minimum (KIP-1030), dynamic broker configs, authorized operations in
 * Metadata v8-10, and record timestamp bounds. Each observation would show the difference again.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import {
  AddOffsetsToTxn,
  AlterConfigs,
  CreateTopics,
  DescribeConfigs,
  EndTxn,
  Fetch,
  FindCoordinator,
  IncrementalAlterConfigs,
  InitProducerId,
  Metadata,
  Produce,
  TxnOffsetCommit,
  type DescribeConfigsResponse,
  type TxnOffsetCommitRequest,
} from '../../../src/protocol/generated/index.js';
import { fetchRequest } from '../../raw-client.js';
import { buildRecordBatch, type RecordInput } from '../../../src/log/record-batch.js';
import { kcatZstd } from '../../../src/log/compression-fixtures.js';
import { ErrorCode, errorName } from '../../../src/protocol/errors.js';
import { crc32c } from '../../../src/native/crc32c.js';
import { settled } from './util.js';

const TOPIC = 2;
const BROKER = 4;

async function createTopic(t: Target, name: string, configs: Record<string, string> = {}, validateOnly = false) {
  const res = await t.request(CreateTopics, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 30000,
    validateOnly,
  });
  return res.topics[0]!;
}

async function produce(t: Target, topic: string, batch: Buffer, version = 9) {
  const res = await t.request(Produce, version, { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: topic, topicId: Buffer.alloc(16), partitionData: [{ index: 0, records: batch }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

/** Metadata for `topic` until it has a leader (Kafka elects one shortly after CreateTopics). */
async function waitForLeader(t: Target, topic: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await t.request(Metadata, 9, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const p = res.topics[0]?.partitions[0];
    if (res.topics[0]?.errorCode === 0 && p && p.leaderId >= 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no leader for ${topic}`);
}

async function describe(t: Target, version: number, resourceType: number, resourceName: string, keys: string[] | null, includeSynonyms: boolean, includeDocumentation = false) {
  const res = await t.request(DescribeConfigs, version, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms, includeDocumentation });
  return res.results[0]!;
}

type DescribedEntry = DescribeConfigsResponse['results'][number]['configs'][number];

/**
 * A topic's configs once `shown` holds of them, asked again for up to 5 s: Kafka's controller
 * answers an alter once it committed the change, and its broker describes from its own copy of
 * the metadata, which the change may reach a moment later.
 */
async function describeOnceShown(t: Target, topic: string, keys: string[] | null, includeSynonyms: boolean, shown: (configs: DescribedEntry[]) => boolean) {
  let d = await describe(t, 4, TOPIC, topic, keys, includeSynonyms);
  for (let i = 0; i < 50 && !shown(d.configs); i++) {
    await new Promise((r) => setTimeout(r, 100));
    d = await describe(t, 4, TOPIC, topic, keys, includeSynonyms);
  }
  return d;
}

/** One DescribeConfigs entry as a client sees it; documentation only as present or absent. */
function shown(c: DescribedEntry | undefined) {
  if (!c) return 'absent';
  return { ...c, documentation: c.documentation === null ? null : '<documentation>' };
}

/** Where the reference broker and Sluice name their node: the broker resource's name. */
async function nodeName(t: Target): Promise<string> {
  const res = await t.request(Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return String(res.brokers[0]!.nodeId);
}

const records = (n: number, ts: (i: number) => bigint): RecordInput[] => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: ts(i) }));

function alterOutcome(see: Recorder, name: string, r: { errorCode: number; errorMessage: string | null }): void {
  see.code(`${name}/error`, r.errorCode);
}

export const divergences: Scenario[] = [
  {
    // 1. Kafka 3 refused Fetch below v10 on zstd topics; Kafka 4.1.1 serves every version alike.
    name: 'div-zstd-old-fetch',
    async run(t, see) {
      see.code('create/producer', (await createTopic(t, 'zstd-stored')).errorCode);
      see.code('create/zstd', (await createTopic(t, 'zstd-config', { 'compression.type': 'zstd' })).errorCode);
      see.code('create/zstd-empty', (await createTopic(t, 'zstd-empty', { 'compression.type': 'zstd' })).errorCode);
      for (const topic of ['zstd-stored', 'zstd-config', 'zstd-empty']) await waitForLeader(t, topic);
      see.code('produce/stored', (await produce(t, 'zstd-stored', Buffer.from(kcatZstd))).errorCode);
      see.code('produce/config', (await produce(t, 'zstd-config', Buffer.from(kcatZstd))).errorCode);
      for (const topic of ['zstd-stored', 'zstd-config', 'zstd-empty']) {
        for (const v of [4, 9, 10]) {
          const res = await t.request(Fetch, v, fetchRequest(topic, 0, 0n));
          const p = res.responses[0]!.partitions[0]!;
          see.see(`${topic}/v${v}`, { error: errorName(p.errorCode), highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, lastStableOffset: p.lastStableOffset, bytes: p.records?.length ?? null });
        }
      }
    },
  },
  {
    // 2. Synonyms: names, sources and values at each level, flags, types, documentation.
    name: 'div-describe-synonyms',
    async run(t, see) {
      see.code('create', (await createTopic(t, 'syn-topic', { 'retention.ms': '3600000' })).errorCode);
      await waitForLeader(t, 'syn-topic');
      const keys = ['retention.ms', 'segment.bytes', 'cleanup.policy', 'max.message.bytes', 'compression.type', 'message.timestamp.after.max.ms', 'segment.ms', 'min.insync.replicas'];
      for (const v of [1, 2, 3, 4]) {
        for (const syn of [false, true]) {
          const r = await describe(t, v, TOPIC, 'syn-topic', keys, syn, v >= 3);
          see.code(`topic/v${v}/syn=${syn}/error`, r.errorCode);
          for (const k of keys) see.see(`topic/v${v}/syn=${syn}/${k}`, shown(r.configs.find((c) => c.name === k)));
        }
      }
      const node = await nodeName(t);
      const brokerKeys = ['log.retention.ms', 'log.retention.hours', 'log.segment.bytes', 'message.max.bytes', 'num.partitions', 'compression.type', 'log.cleanup.policy', 'background.threads', 'offsets.topic.num.partitions', 'node.id'];
      for (const syn of [false, true]) {
        const r = await describe(t, 4, BROKER, node, brokerKeys, syn, true);
        see.code(`broker/syn=${syn}/error`, r.errorCode);
        for (const k of brokerKeys) see.see(`broker/syn=${syn}/${k}`, k === 'node.id' ? shown(r.configs.find((c) => c.name === k)) && 'present' : shown(r.configs.find((c) => c.name === k)));
      }
      const all = await describe(t, 4, TOPIC, 'syn-topic', null, false);
      see.see('topic/all/has-throttled', all.configs.some((c) => c.name === 'leader.replication.throttled.replicas'));
      // An internal config is listed only where it is set.
      see.see('topic/all/has-internal.segment.bytes', all.configs.some((c) => c.name === 'internal.segment.bytes'));
    },
  },
  {
    // 3. The replication throttle topic configs.
    name: 'div-throttled-replicas',
    async run(t, see) {
      const r = await createTopic(t, 'throttled', { 'leader.replication.throttled.replicas': '0:1', 'follower.replication.throttled.replicas': '*' });
      see.code('create/error', r.errorCode);
      await waitForLeader(t, 'throttled').catch(() => undefined);
      const bad = await createTopic(t, 'throttled-bad', { 'leader.replication.throttled.replicas': 'nonsense' }, true);
      see.see('create-bad', { error: errorName(bad.errorCode), text: bad.errorMessage });
      const mixed = await createTopic(t, 'throttled-bad', { 'follower.replication.throttled.replicas': '*,0:1' }, true);
      see.see('create-mixed', { error: errorName(mixed.errorCode), text: mixed.errorMessage });
      const a = await t.request(AlterConfigs, 2, { resources: [{ resourceType: TOPIC, resourceName: 'throttled', configs: [{ name: 'leader.replication.throttled.replicas', value: '' }, { name: 'follower.replication.throttled.replicas', value: '0:1,0:2' }] }], validateOnly: false });
      alterOutcome(see, 'alter', a.responses[0]!);
      const keys = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];
      const d = await describeOnceShown(t, 'throttled', keys, true, (cs) => cs.some((c) => c.name === 'follower.replication.throttled.replicas' && c.value === '0:1,0:2'));
      for (const c of d.configs) see.see(`describe/${c.name}`, shown(c));
      const d2 = await describe(t, 4, TOPIC, 'throttled', null, false);
      // Sorted: Kafka lists a topic's configs in its hash map's order.
      see.see('describe-all/names', d2.configs.map((c) => c.name).filter((n) => n.includes('throttled')).sort());
    },
  },
  {
    // 4. TxnOffsetCommit for unknown transactional ids, producer ids, epochs and groups.
    name: 'div-txn-offset-commit',
    async run(t, see) {
      await createTopic(t, 'txn-oc');
      await waitForLeader(t, 'txn-oc');
      const commit = async (transactionalId: string, groupId: string, producerId: bigint, producerEpoch: number, v = 3) => {
        const body = {
          transactionalId,
          groupId,
          producerId,
          producerEpoch,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: 'txn-oc', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }],
        };
        return commitRetrying(body, v);
      };
      // NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS are retriable: Kafka answers them for a
      // while after its internal topics were created or moved by an earlier scenario; a client
      // finds the coordinator again and retries.
      const commitRetrying = async (body: TxnOffsetCommitRequest, v: number): Promise<number> => {
        let res = await t.request(TxnOffsetCommit, v, body);
        for (let i = 0; i < 50 && [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS].includes(res.topics[0]!.partitions[0]!.errorCode); i++) {
          await new Promise((r) => setTimeout(r, 200));
          res = await t.request(TxnOffsetCommit, v, body);
        }
        return res.topics[0]!.partitions[0]!.errorCode;
      };
      // Coordinators first (Kafka creates its internal topics on the first FindCoordinator).
      for (const [key, keyType] of [['g-txn', 0], ['tx-known', 1]] as const) {
        let code = -1;
        for (let i = 0; i < 100 && code !== 0; i++) {
          const r = await t.request(FindCoordinator, 4, { key: '', keyType, coordinatorKeys: [key] });
          code = r.coordinators[0]!.errorCode;
          if (code !== 0) await new Promise((res) => setTimeout(res, 200));
        }
        see.code(`find-coordinator/${keyType}`, code);
      }
      let init = await t.request(InitProducerId, 4, { transactionalId: 'tx-known', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
      for (let i = 0; i < 50 && init.errorCode !== 0; i++) {
        await new Promise((res) => setTimeout(res, 200));
        init = await t.request(InitProducerId, 4, { transactionalId: 'tx-known', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
      }
      see.code('init', init.errorCode);
      // After the coordinator has loaded (a fresh Kafka answers NOT_COORDINATOR while it loads).
      for (const v of [0, 2, 3]) see.code(`unknown-txn-id/v${v}`, await commit('tx-never', 'g-txn', 1000n, 0, v));
      const pid = init.producerId;
      const epoch = init.producerEpoch;
      // Not in a transaction yet (no AddOffsetsToTxn).
      see.code('no-add-offsets', await commit('tx-known', 'g-txn', pid, epoch));
      see.code('wrong-pid', await commit('tx-known', 'g-txn', pid + 7n, epoch));
      see.code('old-epoch', await commit('tx-known', 'g-txn', pid, epoch - 1));
      see.code('future-epoch', await commit('tx-known', 'g-txn', pid, epoch + 1));
      see.code('unknown-group-v0', await commit('tx-known', 'g-never', pid, epoch, 0));
      // In a transaction that added the group's offsets (AddOffsetsToTxn).
      const added = await t.request(AddOffsetsToTxn, 3, { transactionalId: 'tx-known', producerId: pid, producerEpoch: epoch, groupId: 'g-txn' });
      see.code('add-offsets', added.errorCode);
      see.code('in-txn/wrong-pid', await commit('tx-known', 'g-txn', pid + 7n, epoch));
      see.code('in-txn/old-epoch', await commit('tx-known', 'g-txn', pid, epoch - 1));
      see.code('in-txn/future-epoch', await commit('tx-known', 'g-txn', pid, epoch + 1));
      see.code('in-txn/group-not-added', await commit('tx-known', 'g-other', pid, epoch));
      see.code('in-txn/unknown-txn-id', await commit('tx-other', 'g-txn', pid, epoch));
      const withMember = await commitRetrying({
        transactionalId: 'tx-known',
        groupId: 'g-txn',
        producerId: pid,
        producerEpoch: epoch,
        generationId: 4,
        memberId: 'nobody',
        groupInstanceId: null,
        topics: [{ name: 'txn-oc', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      }, 3);
      see.code('in-txn/unknown-member', withMember);
      see.code('in-txn/ok', await commit('tx-known', 'g-txn', pid, epoch));
      const end = await t.request(EndTxn, 3, { transactionalId: 'tx-known', producerId: pid, producerEpoch: epoch, committed: false });
      see.code('end', end.errorCode);
    },
  },
  {
    // 5. segment.bytes below 1 MiB (KIP-1030).
    name: 'div-segment-bytes-min',
    async run(t, see) {
      const c = await createTopic(t, 'seg-small', { 'segment.bytes': '1000' });
      see.see('create/small', { error: errorName(c.errorCode), message: c.errorMessage });
      // Message wording is normalised away elsewhere; here its text is the observation.
      see.see('create/small/text', c.errorMessage);
      see.code('create/1MiB', (await createTopic(t, 'seg-ok', { 'segment.bytes': '1048576' })).errorCode);
      see.code('create/1MiB-1', (await createTopic(t, 'seg-small2', { 'segment.bytes': '1048575' }, true)).errorCode);
      await waitForLeader(t, 'seg-ok').catch(() => undefined);
      const a = await t.request(AlterConfigs, 2, { resources: [{ resourceType: TOPIC, resourceName: 'seg-ok', configs: [{ name: 'segment.bytes', value: '4096' }] }], validateOnly: false });
      alterOutcome(see, 'alter', a.responses[0]!);
      see.see('alter/text', a.responses[0]!.errorMessage);
      const i = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: 'seg-ok', configs: [{ name: 'segment.bytes', configOperation: 0, value: '4096' }] }], validateOnly: false });
      alterOutcome(see, 'incremental', i.responses[0]!);
      const typo = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: 'seg-ok', configs: [{ name: 'segment.bytes', configOperation: 0, value: 'abc' }] }], validateOnly: true });
      see.see('incremental/not-a-number', { error: errorName(typo.responses[0]!.errorCode), text: typo.responses[0]!.errorMessage });
      const internal = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: 'seg-ok', configs: [{ name: 'internal.segment.bytes', configOperation: 0, value: '4096' }] }], validateOnly: false });
      alterOutcome(see, 'incremental/internal.segment.bytes', internal.responses[0]!);
      const listed = await describeOnceShown(t, 'seg-ok', null, false, (cs) => internal.responses[0]!.errorCode !== 0 || cs.some((c) => c.name === 'internal.segment.bytes'));
      see.see('describe/internal.segment.bytes', shown(listed.configs.find((c) => c.name === 'internal.segment.bytes')));
      const node = await nodeName(t);
      const ib = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name: 'log.segment.bytes', configOperation: 0, value: '4096' }] }], validateOnly: true });
      alterOutcome(see, 'incremental-broker', ib.responses[0]!);
      see.see('incremental-broker/text', ib.responses[0]!.errorMessage);
    },
  },
  {
    // 6. Kafka's dynamic broker configs beyond the log defaults.
    name: 'div-dynamic-broker',
    async run(t, see) {
      const node = await nodeName(t);
      const dynamic: Array<[string, string]> = [
        ['background.threads', '12'],
        ['num.io.threads', '9'],
        ['num.replica.fetchers', '2'],
        ['num.recovery.threads.per.data.dir', '3'],
        ['log.cleaner.threads', '1'],
        ['log.cleaner.io.max.bytes.per.second', '1000000.0'],
        ['max.connections', '1000'],
        ['max.connection.creation.rate', '100'],
        ['producer.id.expiration.ms', '3600000'],
        ['transaction.partition.verification.enable', 'false'],
      ];
      for (const [name, value] of dynamic) {
        const r = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name, configOperation: 0, value }] }], validateOnly: false });
        alterOutcome(see, `cluster/${name}`, r.responses[0]!);
      }
      const perBroker = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name: 'background.threads', configOperation: 0, value: '11' }] }], validateOnly: false });
      alterOutcome(see, 'broker/background.threads', perBroker.responses[0]!);
      const fixed = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'offsets.topic.num.partitions', configOperation: 0, value: '7' }] }], validateOnly: true });
      alterOutcome(see, 'cluster/offsets.topic.num.partitions', fixed.responses[0]!);
      see.see('cluster/offsets.topic.num.partitions/text', fixed.responses[0]!.errorMessage);
      const zero = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'background.threads', configOperation: 0, value: '0' }] }], validateOnly: true });
      see.see('cluster/background.threads=0', { error: errorName(zero.responses[0]!.errorCode), text: zero.responses[0]!.errorMessage });
      const hours = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.hours', configOperation: 0, value: '5' }] }], validateOnly: true });
      see.see('cluster/log.retention.hours', { error: errorName(hours.responses[0]!.errorCode), text: hours.responses[0]!.errorMessage });
      // Names Kafka stores though Sluice refuses them: ones it does not know, and the listener's
      // TLS settings (which Sluice does not reload at run time).
      for (const [name, value] of [['no.such.config', '1'], ['ssl.cipher.suites', 'TLS_AES_128_GCM_SHA256']]) {
        const r = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name: name!, configOperation: 0, value: value! }] }], validateOnly: true });
        alterOutcome(see, `broker/${name}`, r.responses[0]!);
      }
      const legacy = await t.request(AlterConfigs, 2, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name: 'num.io.threads', value: '10' }] }], validateOnly: false });
      alterOutcome(see, 'alter/num.io.threads', legacy.responses[0]!);
      const keys = ['background.threads', 'num.io.threads', 'max.connections', 'producer.id.expiration.ms'];
      // Kafka's broker applies the controller's config records a moment after the answer: wait (at
      // most 3 s) until the last change of each kind shows.
      const shows = (cs: DescribedEntry[], name: string, value: string): boolean => cs.some((c) => c.name === name && c.value === value);
      await settled(() => describe(t, 4, BROKER, node, keys, false), (d) => shows(d.configs, 'num.io.threads', '10') && shows(d.configs, 'background.threads', '11'));
      await settled(() => describe(t, 4, BROKER, '', keys, false), (d) => shows(d.configs, 'max.connections', '1000'));
      for (const syn of [false, true]) {
        const d = await describe(t, 4, BROKER, node, keys, syn);
        for (const k of keys) see.see(`describe/syn=${syn}/${k}`, shown(d.configs.find((c) => c.name === k)));
        const dc = await describe(t, 4, BROKER, '', keys, syn);
        for (const k of keys) see.see(`describe-cluster/syn=${syn}/${k}`, shown(dc.configs.find((c) => c.name === k)));
      }
      // Put the broker back as it was: later scenarios (transactions with verification off, a
      // thousand connections at most) must not inherit these settings.
      const cleared = await t.request(IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: BROKER, resourceName: '', configs: dynamic.map(([name]) => ({ name, configOperation: 1, value: null })) },
          { resourceType: BROKER, resourceName: node, configs: ['background.threads', 'num.io.threads'].map((name) => ({ name, configOperation: 1, value: null })) },
        ],
        validateOnly: false,
      });
      for (const r of cleared.responses) alterOutcome(see, `cleared/${r.resourceName === '' ? 'cluster' : 'broker'}`, r);
    },
  },
  {
    // 7. Authorized operations in Metadata (no authorizer: everything allowed).
    name: 'div-metadata-authorized-ops',
    async run(t, see) {
      await createTopic(t, 'ops-topic');
      await waitForLeader(t, 'ops-topic');
      for (const v of [8, 9, 10, 11, 12]) {
        for (const ask of [false, true]) {
          const res = await t.request(Metadata, v, { topics: [{ name: 'ops-topic', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: ask && v <= 10, includeTopicAuthorizedOperations: ask });
          see.see(`v${v}/ask=${ask}`, { cluster: res.clusterAuthorizedOperations, topic: res.topics[0]!.topicAuthorizedOperations });
        }
      }
    },
  },
  {
    // 8. Record timestamps beyond message.timestamp.after/before.max.ms: per record or per batch.
    name: 'div-timestamps',
    async run(t, see) {
      see.code('create', (await createTopic(t, 'ts-default')).errorCode);
      see.code('create-before', (await createTopic(t, 'ts-before', { 'message.timestamp.before.max.ms': '3600000' })).errorCode);
      await waitForLeader(t, 'ts-default');
      await waitForLeader(t, 'ts-before');
      const now = BigInt(Date.now());
      const hour = 3_600_000n;
      const cases: Array<[string, string, bigint[]]> = [
        ['future-first', 'ts-default', [now + 2n * hour, now, now]],
        ['future-middle', 'ts-default', [now, now + 2n * hour, now, now + 3n * hour]],
        ['future-small', 'ts-default', [now, now + hour / 2n]],
        ['past-default', 'ts-default', [now - 1000n * 24n * hour, now]],
        ['past-bounded', 'ts-before', [now, now - 2n * hour, now - 3n * hour]],
        ['past-ok', 'ts-before', [now - hour / 2n]],
        // Kafka's lower bound is now - Long.MAX_VALUE: a negative time other than -1 passes.
        ['negative', 'ts-default', [-5n]],
        ['no-timestamp', 'ts-before', [-1n]],
      ];
      for (const [name, topic, stamps] of cases) {
        for (const v of [7, 9]) {
          const r = await produce(t, topic, buildRecordBatch(records(stamps.length, (i) => stamps[i]!)), v);
          see.see(`${name}/v${v}`, { error: errorName(r.errorCode), recordErrors: r.recordErrors.map((e) => e.batchIndex), messages: r.recordErrors.map((e) => e.batchIndexErrorMessage !== null), errorMessage: r.errorMessage !== null, logStartOffset: r.logStartOffset });
        }
      }
      // A batch whose header claims `now` though a record lies 2 h ahead (the header is what a
      // per-batch check reads).
      const lying = buildRecordBatch(records(2, (i) => (i === 0 ? now : now + 2n * hour)));
      lying.writeBigInt64BE(now, 35); // maxTimestamp
      lying.writeUInt32BE(crc32c(lying.subarray(21)) >>> 0, 17);
      const r = await produce(t, 'ts-default', lying, 9);
      see.see('lying-header', { error: errorName(r.errorCode), recordErrors: r.recordErrors.map((e) => e.batchIndex) });
      // The record error's text, its numbers (times that differ from run to run) masked; and
      // the bounds it prints: Kafka's are longs (now - Long.MAX_VALUE for the default).
      const text = await produce(t, 'ts-default', buildRecordBatch(records(2, (i) => now + BigInt(i) * 2n * hour)), 9);
      const message = text.recordErrors[0]?.batchIndexErrorMessage ?? '';
      see.see('message-shape', message.replace(/-?\d+/g, 'N'));
      const low = /within \[(-?\d+),/.exec(message)?.[1];
      see.see('message-low-bound', low === undefined ? null : { negative: low.startsWith('-'), digits: low.length });
    },
  },
];
