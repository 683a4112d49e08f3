/**
 * Topic administration and what describes it: CreateTopics validation (2-7), DeleteTopics (1-6),
 * CreatePartitions (0-3), Metadata with named topics (0-13), DescribeCluster (0-2) and
 * DescribeConfigs for a topic and the broker (1-4), plus the removed low versions of CreateTopics,
 * DeleteTopics and DescribeConfigs.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import {
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  Metadata,
  type CreateTopicsRequestCreatableTopic,
} from '../../../src/protocol/generated/index.js';
import type { ApiCodec } from '../../../src/protocol/api-codec.js';
import { createTopic, nodeId, sleep, waitReady, withoutMessages } from './util.js';

function topic(name: string, numPartitions = 1, replicationFactor = 1, configs: Record<string, string | null> = {}, assignments: Array<{ partitionIndex: number; brokerIds: number[] }> = []): CreateTopicsRequestCreatableTopic {
  return { name, numPartitions, replicationFactor, assignments, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) };
}

/**
 * CreateTopics; each topic's result without its error message (Sluice explains errors Kafka
 * leaves null) and with its v5+ config list reduced to whether it is there: the lists are compared
 * entry by entry in `seeConfigs` for the topics created for real.
 */
async function create(t: Target, v: number, topics: CreatableList, validateOnly = false): Promise<unknown> {
  const res = await t.request(CreateTopics, v, { topics, timeoutMs: 10_000, validateOnly });
  return res.topics.map(({ configs, errorMessage, ...r }) => {
    void errorMessage;
    return { ...r, configs: configs === null ? null : configs.length > 0 ? 'listed' : [] };
  });
}

/** One observation per config entry of a list (name -> value, source and flags). */
function seeConfigs(see: Recorder, prefix: string, configs: ReadonlyArray<{ name: string; value: string | null; readOnly: boolean; isSensitive: boolean; configSource?: number }>): void {
  for (const c of configs) see.see(`${prefix}/${c.name}`, { value: c.value, readOnly: c.readOnly, source: c.configSource ?? null, sensitive: c.isSensitive });
}

async function createSeeingConfigs(t: Target, see: Recorder, label: string, body: CreateTopicsRequestCreatableTopic): Promise<void> {
  const res = await t.request(CreateTopics, 7, { topics: [body], timeoutMs: 10_000, validateOnly: false });
  const r = res.topics[0]!;
  see.see(label, { name: r.name, errorCode: r.errorCode, numPartitions: r.numPartitions, replicationFactor: r.replicationFactor, topicId: r.topicId });
  seeConfigs(see, `${label}/config`, r.configs ?? []);
}

type CreatableList = CreateTopicsRequestCreatableTopic[];

/** Metadata for named topics; below v4 the request cannot say no to auto-creation (the field is absent). */
async function metadataTopics(t: Target, v: number, names: string[] | null, allowAuto: boolean): Promise<unknown> {
  const res = await t.request(Metadata, v, { topics: names === null ? null : names.map((name) => ({ topicId: Buffer.alloc(16), name })), allowAutoTopicCreation: v >= 4 ? allowAuto : true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return res.topics.map((tp) => ({ ...tp, partitions: [...tp.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex) })).sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

async function partitionCount(t: Target, name: string): Promise<number | string> {
  const res = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const tp = res.topics[0]!;
  return tp.errorCode === 0 ? tp.partitions.length : `error ${tp.errorCode}`;
}

/** A removed version on its own connection: the answer, or how the connection ended. */
async function removed<Req>(t: Target, codec: ApiCodec<Req, unknown>, v: number, body: Req): Promise<unknown> {
  const c = await t.connect();
  try {
    return await c.request(codec, v, body);
  } catch (e) {
    return (e as Error).message;
  }
}

export const adminScenarios: Scenario[] = [
  {
    name: 'create-topics-names',
    async run(t, see) {
      const names: Array<[string, string]> = [
        ['dot', '.'],
        ['dotdot', '..'],
        ['empty', ''],
        ['len-249', 'x'.repeat(249)],
        ['len-250', 'y'.repeat(250)],
        ['len-300', 'z'.repeat(300)],
        ['space', 'has space'],
        ['slash', 'a/b'],
        ['colon', 'a:b'],
        ['unicode', 'tópico'],
        ['legal-chars', 'Az09._-ok'],
        ['period-underscore-collide', 'dp.collide'],
      ];
      for (const [label, name] of names) see.see(`v7/${label}`, await create(t, 7, [topic(name)], true));
      for (const v of [2, 3, 4, 5, 6]) {
        see.see(`v${v}/dot`, await create(t, v, [topic('.')], true));
        see.see(`v${v}/len-250`, await create(t, v, [topic('w'.repeat(250))], true));
        see.see(`v${v}/illegal`, await create(t, v, [topic('bad!name')], true));
      }
      // Colliding with an existing topic's metric name (period vs underscore).
      see.code('create-dp_collide', await createTopic(t, 'dp_collide'));
      see.see('collide', await create(t, 7, [topic('dp.collide')]));
    },
  },
  {
    name: 'create-topics-counts',
    async run(t, see) {
      for (const v of [2, 3, 4, 5, 6, 7]) {
        see.see(`v${v}/partitions-0`, await create(t, v, [topic(`dp-c0-${v}`, 0)], true));
        see.see(`v${v}/partitions-minus-1`, await create(t, v, [topic(`dp-cm1-${v}`, -1)], true));
        see.see(`v${v}/partitions-minus-2`, await create(t, v, [topic(`dp-cm2-${v}`, -2)], true));
        see.see(`v${v}/rf-0`, await create(t, v, [topic(`dp-rf0-${v}`, 1, 0)], true));
        see.see(`v${v}/rf-3`, await create(t, v, [topic(`dp-rf3-${v}`, 1, 3)], true));
        see.see(`v${v}/rf-minus-1`, await create(t, v, [topic(`dp-rfm1-${v}`, 1, -1)], true));
        see.see(`v${v}/rf-minus-2`, await create(t, v, [topic(`dp-rfm2-${v}`, 1, -2)], true));
        see.see(`v${v}/both-default`, await create(t, v, [topic(`dp-def-${v}`, -1, -1)], true));
      }
      see.see('partitions-huge', await create(t, 7, [topic('dp-huge', 1_000_000)], true));
      // Created for real: the answer, then Metadata's count.
      await createSeeingConfigs(t, see, 'real/defaults', topic('dp-defaults', -1, -1));
      see.see('real/three', await create(t, 7, [topic('dp-three', 3)]));
      await waitReady(t, 'dp-three', 3);
      see.see('real/three/partitions', await partitionCount(t, 'dp-three'));
      see.see('exists/v7', await create(t, 7, [topic('dp-three', 3)]));
      see.see('exists/v2', await create(t, 2, [topic('dp-three', 3)]));
      see.see('exists/validate-only', await create(t, 7, [topic('dp-three', 3)], true));
      see.see('duplicate-in-request', await create(t, 7, [topic('dp-dup'), topic('dp-dup')]));
      see.see('validate-only/not-created', await create(t, 7, [topic('dp-validate-only', 2)], true));
      see.see('validate-only/after', await partitionCount(t, 'dp-validate-only'));
    },
  },
  {
    name: 'create-topics-configs',
    async run(t, see) {
      const cases: Array<[string, Record<string, string | null>]> = [
        ['retention-ms-ok', { 'retention.ms': '1000' }],
        ['retention-ms-bad', { 'retention.ms': 'soon' }],
        ['retention-ms-below-min', { 'retention.ms': '-5' }],
        ['cleanup-policy-bad', { 'cleanup.policy': 'shred' }],
        ['cleanup-policy-both', { 'cleanup.policy': 'compact,delete' }],
        ['unknown-config', { 'no.such.config': '1' }],
        ['null-value', { 'retention.ms': null }],
        ['min-isr-above-rf', { 'min.insync.replicas': '2' }],
        ['min-isr-zero', { 'min.insync.replicas': '0' }],
        ['compression-bad', { 'compression.type': 'brotli' }],
        ['compression-zstd', { 'compression.type': 'zstd' }],
        // KIP-390 levels: each end of each range, one past it, and a value of the wrong type.
        ['zstd-level-max', { 'compression.zstd.level': '22' }],
        ['zstd-level-min', { 'compression.zstd.level': '-131072' }],
        ['zstd-level-above', { 'compression.zstd.level': '23' }],
        ['zstd-level-below', { 'compression.zstd.level': '-131073' }],
        ['gzip-level-default', { 'compression.gzip.level': '-1' }],
        ['gzip-level-zero', { 'compression.gzip.level': '0' }],
        ['gzip-level-ten', { 'compression.gzip.level': '10' }],
        ['lz4-level-one', { 'compression.lz4.level': '1' }],
        ['lz4-level-eighteen', { 'compression.lz4.level': '18' }],
        ['lz4-level-word', { 'compression.lz4.level': 'high' }],
        ['max-message-bytes-negative', { 'max.message.bytes': '-1' }],
        ['timestamp-type-bad', { 'message.timestamp.type': 'WallClock' }],
        ['broker-only-config', { 'num.partitions': '3' }],
      ];
      for (const [label, configs] of cases) {
        see.see(`v7/${label}`, await create(t, 7, [topic(`dp-cfg-${label}`, 1, 1, configs)], true));
        see.see(`v4/${label}`, await create(t, 4, [topic(`dp-cfg-${label}`, 1, 1, configs)], true));
      }
      await createSeeingConfigs(t, see, 'real/with-configs', topic('dp-configured', 1, 1, { 'retention.ms': '123456', 'cleanup.policy': 'compact' }));
      await createSeeingConfigs(t, see, 'real/with-levels', topic('dp-configured-levels', 1, 1, { 'compression.type': 'zstd', 'compression.zstd.level': '9', 'compression.gzip.level': '1' }));
    },
  },
  {
    name: 'create-topics-assignments',
    async run(t, see) {
      const me = await nodeId(t);
      for (const v of [2, 5, 7]) {
        see.see(`v${v}/valid`, await create(t, v, [topic(`dp-asg-${v}`, -1, -1, {}, [{ partitionIndex: 0, brokerIds: [me] }, { partitionIndex: 1, brokerIds: [me] }])], true));
        see.see(`v${v}/unknown-broker`, await create(t, v, [topic(`dp-asgu-${v}`, -1, -1, {}, [{ partitionIndex: 0, brokerIds: [me + 100] }])], true));
        see.see(`v${v}/with-count`, await create(t, v, [topic(`dp-asgc-${v}`, 2, -1, {}, [{ partitionIndex: 0, brokerIds: [me] }])], true));
        see.see(`v${v}/with-rf`, await create(t, v, [topic(`dp-asgr-${v}`, -1, 1, {}, [{ partitionIndex: 0, brokerIds: [me] }])], true));
        see.see(`v${v}/gap`, await create(t, v, [topic(`dp-asgg-${v}`, -1, -1, {}, [{ partitionIndex: 0, brokerIds: [me] }, { partitionIndex: 2, brokerIds: [me] }])], true));
        see.see(`v${v}/duplicate-broker`, await create(t, v, [topic(`dp-asgd-${v}`, -1, -1, {}, [{ partitionIndex: 0, brokerIds: [me, me] }])], true));
        see.see(`v${v}/empty-brokers`, await create(t, v, [topic(`dp-asge-${v}`, -1, -1, {}, [{ partitionIndex: 0, brokerIds: [] }])], true));
      }
      see.see('real', await create(t, 7, [topic('dp-assigned', -1, -1, {}, [{ partitionIndex: 0, brokerIds: [me] }, { partitionIndex: 1, brokerIds: [me] }])]));
      await waitReady(t, 'dp-assigned', 2);
      see.see('real/partitions', await partitionCount(t, 'dp-assigned'));
    },
  },
  {
    name: 'delete-topics',
    async run(t, see) {
      for (let v = 1; v <= 6; v++) {
        see.code(`v${v}/create`, await createTopic(t, `dp-del-${v}`));
        const body = v >= 6
          ? { topicNames: [], timeoutMs: 10_000, topics: [{ name: `dp-del-${v}`, topicId: Buffer.alloc(16) }, { name: 'dp-del-unknown', topicId: Buffer.alloc(16) }] }
          : { topics: [], timeoutMs: 10_000, topicNames: [`dp-del-${v}`, 'dp-del-unknown'] };
        const res = await t.request(DeleteTopics, v, body);
        see.see(`v${v}`, [...res.responses].sort((a, b) => String(a.name).localeCompare(String(b.name))));
      }
      // v6 by id: an unknown id, and the id of a live topic.
      const unknownId = Buffer.alloc(16, 7);
      see.see('v6/unknown-id', (await t.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: unknownId }] })).responses);
      see.code('by-id/create', await createTopic(t, 'dp-del-by-id'));
      const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'dp-del-by-id' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const id = md.topics[0]!.topicId;
      see.see('v6/by-id', (await t.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: id }] })).responses);
      see.see('v6/name-and-id', (await t.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: 'dp-del-x', topicId: unknownId }] })).responses);
      see.see('v6/no-name-zero-id', (await t.request(DeleteTopics, 6, { topicNames: [], timeoutMs: 10_000, topics: [{ name: null, topicId: Buffer.alloc(16) }] })).responses);
      see.see('deleted-twice', (await t.request(DeleteTopics, 4, { topics: [], timeoutMs: 10_000, topicNames: ['dp-del-4'] })).responses);
      see.see('internal', (await t.request(DeleteTopics, 4, { topics: [], timeoutMs: 10_000, topicNames: ['__consumer_offsets'] })).responses);
      // Gone from Metadata (poll briefly: deletion is asynchronous in Kafka).
      let gone: number | string = '';
      for (let i = 0; i < 50; i++) {
        gone = await partitionCount(t, 'dp-del-1');
        if (typeof gone === 'string') break;
        await sleep(100);
      }
      see.see('after/metadata', gone);
      // Recreate under the same name.
      see.code('recreate', await createTopic(t, 'dp-del-1'));
    },
  },
  {
    name: 'create-partitions',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-grow', 2));
      const me = await nodeId(t);
      const grow = async (v: number, count: number, opts: { validateOnly?: boolean; assignments?: number[][] | null; name?: string } = {}): Promise<unknown> => {
        const res = await t.request(CreatePartitions, v, {
          timeoutMs: 10_000,
          validateOnly: opts.validateOnly ?? false,
          topics: [{ name: opts.name ?? 'dp-grow', count, assignments: opts.assignments === undefined ? null : opts.assignments === null ? null : opts.assignments.map((brokerIds) => ({ brokerIds })) }],
        });
        return withoutMessages(res.results);
      };
      for (let v = 0; v <= 3; v++) {
        see.see(`v${v}/decrease`, await grow(v, 1));
        see.see(`v${v}/same`, await grow(v, 2));
        see.see(`v${v}/unknown-topic`, await grow(v, 4, { name: 'dp-no-such-topic' }));
        see.see(`v${v}/validate-only`, await grow(v, 5, { validateOnly: true }));
        see.see(`v${v}/bad-assignment-broker`, await grow(v, 3, { validateOnly: true, assignments: [[me + 100]] }));
        see.see(`v${v}/assignment-count-mismatch`, await grow(v, 4, { validateOnly: true, assignments: [[me]] }));
      }
      see.see('after-validate-only', await partitionCount(t, 'dp-grow'));
      see.see('grow-to-3', await grow(2, 3));
      see.see('grow-to-5-assigned', await grow(3, 5, { assignments: [[me], [me]] }));
      await waitReady(t, 'dp-grow', 5);
      see.see('after', await partitionCount(t, 'dp-grow'));
      see.see('zero', await grow(3, 0));
      see.see('negative', await grow(3, -1));
      const dup = await t.request(CreatePartitions, 3, { timeoutMs: 10_000, validateOnly: true, topics: [{ name: 'dp-grow', count: 6, assignments: null }, { name: 'dp-grow', count: 7, assignments: null }] });
      see.see('duplicate-topic', withoutMessages(dup.results));
    },
  },
  {
    name: 'metadata-topics',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-meta', 2));
      for (let v = 0; v <= 13; v++) {
        see.see(`v${v}/known`, await metadataTopics(t, v, ['dp-meta'], false));
        see.see(`v${v}/invalid-name`, await metadataTopics(t, v, ['bad!name'], v >= 4 ? true : false));
        if (v >= 4) see.see(`v${v}/unknown-no-auto`, await metadataTopics(t, v, [`dp-meta-missing-${v}`], false));
      }
      // Auto-creation: v0-3 always ask for it; v4+ only with the flag.
      for (const v of [1, 4, 9, 12, 13]) {
        const name = `dp-meta-auto-${v}`;
        see.see(`v${v}/auto/first`, await metadataTopics(t, v, [name], true));
        await waitReady(t, name, 1);
        see.see(`v${v}/auto/after`, await metadataTopics(t, v, [name], false));
      }
      see.see('v12/auto/invalid-name', await metadataTopics(t, 12, ['..'], true));
      see.see('v12/auto/too-long', await metadataTopics(t, 12, ['q'.repeat(250)], true));
      see.see('v12/mixed', await metadataTopics(t, 12, ['dp-meta', 'dp-meta-none'], false));
      see.see('v12/empty-name', await metadataTopics(t, 12, [''], false));
      see.see('v12/illegal-name-no-auto', await metadataTopics(t, 12, ['bad!name', '..'], false));
      see.see('v12/duplicate-names', await metadataTopics(t, 12, ['dp-meta', 'dp-meta'], false));
      // By topic id (v10+): a known id and an unknown one.
      const md = await t.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'dp-meta' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const id = md.topics[0]!.topicId;
      for (const v of [12, 13]) {
        const byId = await t.request(Metadata, v, { topics: [{ topicId: id, name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        see.see(`v${v}/by-id`, byId.topics.map((tp) => ({ ...tp, partitions: [...tp.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex) })));
        const unknownId = await t.request(Metadata, v, { topics: [{ topicId: Buffer.alloc(16, 3), name: null }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        see.see(`v${v}/unknown-id`, { errorCode: unknownId.errorCode, topics: unknownId.topics });
      }
    },
  },
  {
    name: 'describe-cluster',
    async run(t, see) {
      for (const v of [0, 1, 2]) {
        const res = await t.request(DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: v >= 2 });
        see.see(`v${v}`, res);
      }
      see.see('v1/controllers', await t.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2, includeFencedBrokers: false }));
      see.see('v1/bad-endpoint-type', await t.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 7, includeFencedBrokers: false }));
      const ops = await t.request(DescribeCluster, 0, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false });
      see.see('v0/authorized-operations', ops.clusterAuthorizedOperations);
    },
  },
  {
    name: 'describe-configs',
    async run(t, see) {
      see.code('create', await createTopic(t, 'dp-desc', 1, { 'retention.ms': '7200000', 'cleanup.policy': 'compact' }));
      const broker = String(await nodeId(t));
      const levels = ['compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level'];
      const topicKeys = ['retention.ms', 'cleanup.policy', 'segment.bytes', 'max.message.bytes', 'min.insync.replicas', 'compression.type', 'message.timestamp.type', 'unclean.leader.election.enable', ...levels];
      const brokerKeys = ['num.partitions', 'auto.create.topics.enable', 'message.max.bytes', 'log.retention.hours', 'default.replication.factor', 'broker.id', 'node.id', 'ssl.key.password', 'offsets.topic.replication.factor', 'no.such.key', 'compression.type', ...levels];
      const describe = async (v: number, resourceType: number, resourceName: string, keys: string[] | null, synonyms = false): Promise<unknown> => {
        const res = await t.request(DescribeConfigs, v, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: synonyms, includeDocumentation: false });
        return res.results.map((r) => ({ ...r, configs: [...r.configs].sort((a, b) => a.name.localeCompare(b.name)) }));
      };
      for (const v of [1, 2, 3, 4]) {
        const topicRes = await t.request(DescribeConfigs, v, { resources: [{ resourceType: 2, resourceName: 'dp-desc', configurationKeys: topicKeys }], includeSynonyms: false, includeDocumentation: false });
        const brokerRes = await t.request(DescribeConfigs, v, { resources: [{ resourceType: 4, resourceName: broker, configurationKeys: brokerKeys }], includeSynonyms: false, includeDocumentation: false });
        for (const [kind, res] of [['topic', topicRes], ['broker', brokerRes]] as const) {
          const r = res.results[0]!;
          see.see(`v${v}/${kind}`, { errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName });
          for (const c of r.configs) see.see(`v${v}/${kind}/${c.name}`, { ...c, name: undefined });
        }
        see.see(`v${v}/unknown-topic`, await describe(v, 2, 'dp-no-such-topic', null));
        see.see(`v${v}/invalid-topic-name`, await describe(v, 2, 'bad!name', null));
        see.see(`v${v}/other-broker`, await describe(v, 4, String(Number(broker) + 100), ['num.partitions']));
        see.see(`v${v}/broker-not-a-number`, await describe(v, 4, 'abc', ['num.partitions']));
        see.see(`v${v}/unknown-resource-type`, await describe(v, 9, 'x', null));
      }
      // Synonyms for a topic override (the default-level synonyms belong to another helper's list).
      const syn = (await t.request(DescribeConfigs, 3, { resources: [{ resourceType: 2, resourceName: 'dp-desc', configurationKeys: ['retention.ms'] }], includeSynonyms: true, includeDocumentation: false })).results[0]!.configs[0];
      see.see('v3/topic-synonyms-first', syn ? { name: syn.name, value: syn.value, source: syn.configSource, first: syn.synonyms[0] ?? null } : null);
      // A level's synonyms: the broker default of the same name (KIP-390).
      const lvl = (await t.request(DescribeConfigs, 3, { resources: [{ resourceType: 2, resourceName: 'dp-desc', configurationKeys: ['compression.zstd.level'] }], includeSynonyms: true, includeDocumentation: false })).results[0]!.configs[0];
      see.see('v3/topic-level-synonyms', lvl ? { value: lvl.value, source: lvl.configSource, synonyms: lvl.synonyms } : null);
      // All of a topic's config names (sorted): the set a client sees.
      const all = (await t.request(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'dp-desc', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0]!;
      seeConfigs(see, 'v4/topic-all', all.configs);
      see.see('v4/documentation', (await t.request(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'dp-desc', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: true })).results[0]!.configs.map((c) => ({ name: c.name, hasDoc: c.documentation !== null && c.documentation.length > 0, configType: c.configType })));
    },
  },
  {
    name: 'admin-removed-versions',
    async run(t, see) {
      // KIP-896: Kafka 4 removed CreateTopics v0-1, DeleteTopics v0, DescribeConfigs v0.
      see.see('create-topics/v1', await removed(t, CreateTopics, 1, { topics: [topic('dp-removed-v1')], timeoutMs: 5000, validateOnly: true }));
      see.see('delete-topics/v0', await removed(t, DeleteTopics, 0, { topics: [], topicNames: ['dp-removed-none'], timeoutMs: 5000 }));
      see.see('describe-configs/v0', await removed(t, DescribeConfigs, 0, { resources: [{ resourceType: 2, resourceName: 'dp-removed-none', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }));
    },
  },
];
