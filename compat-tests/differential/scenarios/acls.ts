/**
 * ACLs and authorization (issue 13). `aclsWithoutAuthorizer` runs in the main suite (no
 * authorizer configured: SECURITY_DISABLED). `AUTHORIZER_SCENARIOS` run in their own pair started
 * with AUTHORIZER_SETTINGS (acl-differential.test.ts): StandardAuthorizer, allow.everyone.if.no.acl.found,
 * the PLAINTEXT client being User:ANONYMOUS. ACLs naming User:alice then close a resource to
 * ANONYMOUS (an ACL exists for it, none allows ANONYMOUS), so denials compare without SASL.
 */
import type { Recorder, Scenario, Target } from '../framework.js';
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  CreateAcls,
  DeleteGroups,
  DescribeCluster,
  DescribeTransactions,
  EndTxn,
  Heartbeat,
  LeaveGroup,
  OffsetDelete,
  SyncGroup,
  TxnOffsetCommit,
  CreatePartitions,
  CreateTopics,
  DeleteAcls,
  DeleteRecords,
  DeleteTopics,
  DescribeAcls,
  DescribeConfigs,
  DescribeGroups,
  DescribeProducers,
  Fetch,
  FindCoordinator,
  IncrementalAlterConfigs,
  InitProducerId,
  JoinGroup,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  Produce,
  type CreateAclsRequest,
  type DeleteAclsRequest,
  type DescribeAclsRequest,
  type DescribeAclsResponse,
} from '../../../src/protocol/generated/index.js';
import { buildRecordBatch } from '../../../src/log/record-batch.js';
import { fetchRequest } from '../../raw-client.js';

/** Kafka's codes (src/auth/acl.ts), spelled out so the scenario reads as the wire does. */
const TOPIC = 2, GROUP = 3, CLUSTER = 4, TXN = 5, ANY = 1;
const MATCH = 2, LITERAL = 3, PREFIXED = 4;
const ALL = 2, READ = 3, WRITE = 4, DESCRIBE = 8;
const DENY = 2, ALLOW = 3;
const ZERO = Buffer.alloc(16);

export const AUTHORIZER_SETTINGS: Readonly<Record<string, string>> = {
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'allow.everyone.if.no.acl.found': 'true',
};

const everything: DescribeAclsRequest = { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY };

/** Resources and their ACLs in one order, whatever order a broker lists them in. */
function sortedResources(res: DescribeAclsResponse['resources']): unknown {
  const key = (x: unknown): string => JSON.stringify(x);
  return res
    .map((r) => ({ ...r, acls: [...r.acls].sort((a, b) => key(a).localeCompare(key(b))) }))
    .sort((a, b) => key([a.resourceType, a.resourceName, a.patternType]).localeCompare(key([b.resourceType, b.resourceName, b.patternType])));
}

/** Kafka applies new ACLs to its authorizer through its metadata a moment after CreateAcls answers. */
async function untilAclCount(t: Target, count: number): Promise<number> {
  let n = -1;
  for (let i = 0; i < 50; i++) {
    const res = await t.request(DescribeAcls, 3, everything);
    n = res.resources.reduce((acc, r) => acc + r.acls.length, 0);
    if (n === count) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

const creation = (resourceType: number, resourceName: string, resourcePatternType: number, principal: string, operation: number, permissionType: number): CreateAclsRequest['creations'][number] =>
  ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType });

export const aclsWithoutAuthorizer: Scenario[] = [
  {
    name: 'acls-without-authorizer',
    async run(t, see) {
      for (const v of [1, 2, 3]) {
        const d = await t.request(DescribeAcls, v, everything);
        see.see(`v${v}/describe`, { errorCode: d.errorCode, resources: d.resources });
        const c = await t.request(CreateAcls, v, { creations: [creation(TOPIC, 'x', LITERAL, 'User:alice', READ, ALLOW)] });
        see.see(`v${v}/create`, c.results.map((r) => r.errorCode));
        const del = await t.request(DeleteAcls, v, { filters: [{ resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY }] });
        see.see(`v${v}/delete`, del.filterResults.map((r) => ({ errorCode: r.errorCode, matching: r.matchingAcls.length })));
      }
    },
  },
];

async function describeAcls(t: Target, see: Recorder, name: string, filter: Partial<DescribeAclsRequest>, version = 3): Promise<void> {
  const res = await t.request(DescribeAcls, version, { ...everything, ...filter });
  see.see(name, { errorCode: res.errorCode, resources: sortedResources(res.resources) });
}

export const AUTHORIZER_SCENARIOS: Scenario[] = [
  {
    name: 'acl-unknown-elements',
    async run(t, see) {
      // UNKNOWN (0), or a code no enum has, in a filter or a creation: each on its own connection,
      // since the broker may close it.
      const outcome = async (name: string, send: (c: Awaited<ReturnType<Target['connect']>>) => Promise<unknown>): Promise<void> => {
        const c = await t.connect();
        try {
          see.see(name, await send(c));
        } catch (e) {
          see.see(name, `failed: ${(e as Error).constructor.name}`);
        }
      };
      await outcome('describe-unknown-type', async (c) => (await c.request(DescribeAcls, 3, { ...everything, resourceTypeFilter: 0 })).errorCode);
      await outcome('describe-unknown-operation', async (c) => (await c.request(DescribeAcls, 3, { ...everything, operation: 99 })).errorCode);
      await outcome('create-unknown-type', async (c) => (await c.request(CreateAcls, 3, { creations: [creation(0, 'x', LITERAL, 'User:a', READ, ALLOW)] })).results.map((r) => r.errorCode));
      await outcome('create-unknown-permission', async (c) => (await c.request(CreateAcls, 3, { creations: [creation(TOPIC, 'x', LITERAL, 'User:a', READ, 0)] })).results.map((r) => r.errorCode));
      await outcome('delete-unknown-pattern', async (c) => (await c.request(DeleteAcls, 3, { filters: [{ ...everything, patternTypeFilter: 0 }] })).filterResults.map((r) => r.errorCode));
    },
  },
  {
    name: 'acl-create-describe-delete',
    async run(t, see) {
      const res = await t.request(CreateAcls, 3, {
        creations: [
          creation(TOPIC, 'orders', LITERAL, 'User:alice', READ, ALLOW),
          creation(TOPIC, 'orders', LITERAL, 'User:alice', READ, ALLOW), // a duplicate: success, one ACL
          creation(TOPIC, 'ord', PREFIXED, 'User:bob', WRITE, ALLOW),
          creation(TOPIC, '*', LITERAL, 'User:*', DESCRIBE, ALLOW),
          creation(GROUP, 'g1', LITERAL, 'User:alice', ALL, DENY),
          creation(TXN, 'tx', PREFIXED, 'User:alice', WRITE, ALLOW),
          creation(CLUSTER, 'my-cluster', LITERAL, 'User:alice', DESCRIBE, ALLOW),
          creation(TOPIC, '', LITERAL, 'User:alice', READ, ALLOW),
        ],
      });
      see.see('create', res.results.map((r) => r.errorCode));
      // Each alone: some refuse the one creation, some the whole request.
      const refused: Array<[string, CreateAclsRequest['creations'][number]]> = [
        ['any-type', creation(ANY, 'orders', LITERAL, 'User:alice', READ, ALLOW)],
        ['match-pattern', creation(TOPIC, 'orders', MATCH, 'User:alice', READ, ALLOW)],
        ['any-pattern', creation(TOPIC, 'orders', ANY, 'User:alice', READ, ALLOW)],
        ['any-operation', creation(TOPIC, 'orders', LITERAL, 'User:alice', ANY, ALLOW)],
        ['any-permission', creation(TOPIC, 'orders', LITERAL, 'User:alice', READ, ANY)],
        ['principal-without-type', creation(TOPIC, 'orders', LITERAL, 'alice', READ, ALLOW)],
      ];
      for (const [name, c] of refused) {
        const r = await t.request(CreateAcls, 3, { creations: [creation(TOPIC, 'valid', LITERAL, 'User:carol', READ, ALLOW), c] });
        see.see(`create-${name}`, r.results.map((x) => x.errorCode));
      }
      await t.request(DeleteAcls, 3, { filters: [{ ...everything, principalFilter: 'User:carol' }] });
      see.see('visible', await untilAclCount(t, 5));
      await describeAcls(t, see, 'describe/all', {});
      await describeAcls(t, see, 'describe/all-v1', {}, 1);
      await describeAcls(t, see, 'describe/topic-any-orders', { resourceTypeFilter: TOPIC, resourceNameFilter: 'orders' });
      await describeAcls(t, see, 'describe/topic-match-orders', { resourceTypeFilter: TOPIC, resourceNameFilter: 'orders', patternTypeFilter: MATCH });
      await describeAcls(t, see, 'describe/match-ordinary', { resourceTypeFilter: ANY, resourceNameFilter: 'ordinary', patternTypeFilter: MATCH });
      await describeAcls(t, see, 'describe/prefixed', { patternTypeFilter: PREFIXED });
      await describeAcls(t, see, 'describe/literal-ord', { resourceNameFilter: 'ord', patternTypeFilter: LITERAL });
      await describeAcls(t, see, 'describe/principal-alice', { principalFilter: 'User:alice' });
      await describeAcls(t, see, 'describe/host', { hostFilter: '10.0.0.1' });
      await describeAcls(t, see, 'describe/deny', { permissionType: DENY });
      await describeAcls(t, see, 'describe/op-read', { operation: READ });
      await describeAcls(t, see, 'describe/group', { resourceTypeFilter: GROUP });
      const filter = (f: Partial<DeleteAclsRequest['filters'][number]>): DeleteAclsRequest['filters'][number] => ({ ...everything, ...f });
      const del = await t.request(DeleteAcls, 3, {
        filters: [
          filter({ resourceTypeFilter: TOPIC, resourceNameFilter: 'ordinary', patternTypeFilter: MATCH, principalFilter: 'User:bob' }),
          filter({ resourceTypeFilter: GROUP }),
          filter({ principalFilter: 'User:nobody' }),
          filter({ resourceTypeFilter: GROUP }), // matches what the filter before it deletes too
        ],
      });
      see.see('delete', del.filterResults.map((r) => ({ errorCode: r.errorCode, matching: sortedResources(r.matchingAcls.map((m) => ({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, acls: [{ principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType }] }))) })));
      see.see('visible-after-delete', await untilAclCount(t, 3));
      await describeAcls(t, see, 'describe/after-delete', {});
      const rest = await t.request(DeleteAcls, 3, { filters: [filter({})] });
      see.see('delete-rest', rest.filterResults.map((r) => ({ errorCode: r.errorCode, matching: r.matchingAcls.length })));
      see.see('visible-at-end', await untilAclCount(t, 0));
    },
  },
  {
    name: 'acl-denied-to-anonymous',
    async run(t, see) {
      // The group coordinator ready first (Kafka answers NOT_COORDINATOR while it loads the
      // offsets topic it has just created; Sluice creates it at once).
      let coordinator = -1;
      for (let i = 0; i < 100 && coordinator !== 0; i++) {
        coordinator = (await t.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['gopen'] })).coordinators[0]!.errorCode;
        const probe = await t.request(DescribeGroups, 5, { groups: ['gopen'], includeAuthorizedOperations: false });
        if (coordinator === 0 && probe.groups[0]!.errorCode !== 0) coordinator = -1;
        if (coordinator !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      see.code('coordinator-ready', coordinator);
      for (const name of ['open', 'closed', 'half']) {
        const c = await t.request(CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
        see.code(`create-${name}`, c.topics[0]!.errorCode);
      }
      // ACLs for alice close these resources to everyone else (allow.everyone.if.no.acl.found
      // applies only where no ACL exists).
      const acls = await t.request(CreateAcls, 3, {
        creations: [
          creation(TOPIC, 'closed', LITERAL, 'User:alice', ALL, ALLOW),
          creation(GROUP, 'gclosed', LITERAL, 'User:alice', ALL, ALLOW),
          creation(TXN, 'txclosed', LITERAL, 'User:alice', ALL, ALLOW),
          // Everyone may do anything to half, but write.
          creation(TOPIC, 'half', LITERAL, 'User:*', ALL, ALLOW),
          creation(TOPIC, 'half', LITERAL, 'User:*', WRITE, DENY),
        ],
      });
      see.see('acls', acls.results.map((r) => r.errorCode));
      see.see('visible', await untilAclCount(t, 5));
      const batch = (): Buffer => buildRecordBatch([{ key: null, value: Buffer.from('v') }], { timestampMs: 1_700_000_000_000n });
      for (const name of ['open', 'closed', 'half']) {
        const p = await t.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name, topicId: ZERO, partitionData: [{ index: 0, records: batch() }] }] });
        see.code(`produce-${name}`, p.responses[0]!.partitionResponses[0]!.errorCode);
        const f = await t.request(Fetch, 11, fetchRequest(name, 0, 0n));
        see.code(`fetch-${name}`, f.responses[0]!.partitions[0]!.errorCode);
        const lo = await t.request(ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 });
        see.see(`list-offsets-${name}`, lo.topics[0]!.partitions.map((x) => ({ errorCode: x.errorCode, offset: x.offset })));
        const md = await t.request(Metadata, 9, { topics: [{ topicId: ZERO, name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true });
        see.see(`metadata-${name}`, md.topics.map((x) => ({ errorCode: x.errorCode, name: x.name, partitions: x.partitions.length, ops: x.topicAuthorizedOperations })));
        const dc = await t.request(DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: ['cleanup.policy'] }], includeSynonyms: false, includeDocumentation: false });
        see.see(`describe-configs-${name}`, dc.results.map((x) => ({ errorCode: x.errorCode, configs: x.configs.length })));
        const iac = await t.request(IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: name, configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: true });
        see.see(`alter-configs-${name}`, iac.responses.map((x) => x.errorCode));
        const dp = await t.request(DescribeProducers, 0, { topics: [{ name, partitionIndexes: [0] }] });
        see.see(`describe-producers-${name}`, dp.topics[0]!.partitions.map((x) => x.errorCode));
        const cp = await t.request(CreatePartitions, 3, { topics: [{ name, count: 1, assignments: null }], timeoutMs: 5000, validateOnly: true });
        see.see(`create-partitions-${name}`, cp.results.map((x) => x.errorCode));
      }
      const all = await t.request(Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      see.see('metadata-all', all.topics.map((x) => x.name).filter((n) => n === 'open' || n === 'closed' || n === 'half').sort());
      const unknown = await t.request(Metadata, 9, { topics: [{ topicId: ZERO, name: 'closed-nonexistent' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      // Kafka answers UNKNOWN_TOPIC_OR_PARTITION while its controller creates the topic, Sluice
      // the created topic (03-metadata.ts): compared here is only that auto-creation was allowed.
      see.see('metadata-auto-create-allowed', unknown.topics[0]!.errorCode !== 29);
      const dr = await t.request(DeleteRecords, 2, { topics: [{ name: 'closed', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 });
      see.see('delete-records-closed', dr.topics[0]!.partitions.map((x) => ({ errorCode: x.errorCode, lowWatermark: x.lowWatermark })));
      const oc = await t.request(OffsetCommit, 8, { groupId: 'gclosed', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 'open', topicId: ZERO, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
      see.see('offset-commit-gclosed', oc.topics[0]!.partitions.map((x) => x.errorCode));
      const oc2 = await t.request(OffsetCommit, 8, { groupId: 'gopen', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 'closed', topicId: ZERO, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
      see.see('offset-commit-closed-topic', oc2.topics[0]!.partitions.map((x) => x.errorCode));
      const of = await t.request(OffsetFetch, 7, { groupId: 'gclosed', topics: null, groups: [], requireStable: false });
      see.code('offset-fetch-gclosed', of.errorCode);
      const of8 = await t.request(OffsetFetch, 8, { groupId: '', topics: [], groups: [{ groupId: 'gclosed', memberId: null, memberEpoch: -1, topics: null }], requireStable: false }).catch(() => null);
      see.see('offset-fetch-v8-gclosed', of8?.groups.map((g) => g.errorCode) ?? 'not encodable');
      const fc = await t.request(FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['gclosed'] });
      see.see('find-coordinator-gclosed', fc.coordinators.map((c) => ({ errorCode: c.errorCode, nodeId: c.nodeId })));
      const fct = await t.request(FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['txclosed'] });
      see.see('find-coordinator-txclosed', fct.coordinators.map((c) => ({ errorCode: c.errorCode, nodeId: c.nodeId })));
      const jg = await t.request(JoinGroup, 5, { groupId: 'gclosed', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
      see.see('join-gclosed', { errorCode: jg.errorCode, generationId: jg.generationId, memberId: jg.memberId, leader: jg.leader });
      const dg = await t.request(DescribeGroups, 5, { groups: ['gclosed'], includeAuthorizedOperations: true });
      see.see('describe-gclosed', dg.groups.map((g) => ({ errorCode: g.errorCode, state: g.groupState, ops: g.authorizedOperations })));
      const ip = await t.request(InitProducerId, 4, { transactionalId: 'txclosed', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false });
      see.see('init-producer-id-txclosed', { errorCode: ip.errorCode, producerId: ip.producerId, producerEpoch: ip.producerEpoch });
      const sg = await t.request(SyncGroup, 5, { groupId: 'gclosed', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
      see.see('sync-gclosed', { errorCode: sg.errorCode, protocolType: sg.protocolType, protocolName: sg.protocolName, assignment: sg.assignment.length });
      const hb = await t.request(Heartbeat, 4, { groupId: 'gclosed', generationId: 1, memberId: 'm', groupInstanceId: null });
      see.code('heartbeat-gclosed', hb.errorCode);
      const lg = await t.request(LeaveGroup, 5, { groupId: 'gclosed', memberId: '', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] });
      see.see('leave-gclosed', { errorCode: lg.errorCode, members: lg.members.length });
      const dgs = await t.request(DeleteGroups, 2, { groupsNames: ['gclosed', 'gopen'] });
      see.see('delete-groups', dgs.results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })).sort((a, b) => a.groupId.localeCompare(b.groupId)));
      const od = await t.request(OffsetDelete, 0, { groupId: 'gclosed', topics: [{ name: 'open', partitions: [{ partitionIndex: 0 }] }] });
      see.see('offset-delete-gclosed', { errorCode: od.errorCode, topics: od.topics.length });
      const apt = await t.request(AddPartitionsToTxn, 3, { transactions: [], v3AndBelowTransactionalId: 'txclosed', v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'open', partitions: [0] }] });
      see.see('add-partitions-txclosed', apt.resultsByTopicV3AndBelow.map((x) => x.resultsByPartition.map((y) => y.partitionErrorCode)));
      const aot = await t.request(AddOffsetsToTxn, 3, { transactionalId: 'txclosed', producerId: 0n, producerEpoch: 0, groupId: 'gopen' });
      see.code('add-offsets-txclosed', aot.errorCode);
      const et = await t.request(EndTxn, 3, { transactionalId: 'txclosed', producerId: 0n, producerEpoch: 0, committed: true });
      see.code('end-txn-txclosed', et.errorCode);
      const toc = await t.request(TxnOffsetCommit, 3, { transactionalId: 'txclosed', groupId: 'gopen', producerId: 0n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'open', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      see.see('txn-offset-commit-txclosed', toc.topics.map((x) => x.partitions.map((y) => y.errorCode)));
      const dtx = await t.request(DescribeTransactions, 0, { transactionalIds: ['txclosed'] });
      see.see('describe-txclosed', dtx.transactionStates.map((x) => ({ errorCode: x.errorCode, state: x.transactionState, producerId: x.producerId })));
      const dcl = await t.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false });
      see.see('describe-cluster-ops', { errorCode: dcl.errorCode, ops: dcl.clusterAuthorizedOperations });
      const mdc = await t.request(Metadata, 10, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: false });
      see.see('metadata-v10-cluster-ops', mdc.clusterAuthorizedOperations);
      const dgo = await t.request(DescribeGroups, 5, { groups: ['gopen'], includeAuthorizedOperations: true });
      see.see('describe-gopen-ops', dgo.groups.map((g) => ({ errorCode: g.errorCode, ops: g.authorizedOperations })));
      const dt = await t.request(DeleteTopics, 6, { topics: [{ name: 'closed', topicId: ZERO }], topicNames: [], timeoutMs: 5000 });
      see.see('delete-closed', dt.responses.map((x) => ({ errorCode: x.errorCode, name: x.name })));
    },
  },
];
