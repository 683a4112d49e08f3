/**
 * The authorization matrix (issue 13), generated from Kafka's authorization table (KafkaApis and
 * docs/security.html "Authorization"): every API a client or another broker may call, run by a
 * principal the ACLs allow (alice) and by one they do not (bob), against a real broker started in
 * process with authorizer.class.name=StandardAuthorizer. Handlers are called directly with a
 * RequestContext whose session names the principal (as a connection's would once authenticated).
 *
 * Denied cells assert Kafka's error code AND that nothing happened (no record appended, nothing
 * read, no topic created or deleted, no offset committed, no config or ACL changed). Allowed cells
 * assert that no authorization error came back. Bob always runs first, so a denied cell sees the
 * state the allowed one would change.
 *
 * The matrix runs twice: in process (the handlers called with constructed sessions), then over
 * the wire, each user authenticated with SASL/PLAIN on the broker's SASL_PLAINTEXT listener (the
 * inter-broker and controller APIs, not served to clients there, only in process).
 */
import t, { type Test } from 'tap';
import { Broker } from '../broker.js';
import { newSession } from '../auth/session.js';
import { buildRecordBatch, decodeRecords, splitBatches } from '../log/record-batch.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ApiCodec } from '../protocol/api-codec.js';
import {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  AllocateProducerIds,
  AlterConfigs,
  AlterUserScramCredentials,
  UpdateFeatures,
  DescribeUserScramCredentials,
  AlterPartition,
  AlterPartitionReassignments,
  BrokerHeartbeat,
  BrokerRegistration,
  CreateAcls,
  CreatePartitions,
  CreateTopics,
  DeleteAcls,
  DeleteGroups,
  DeleteRecords,
  DeleteTopics,
  DescribeAcls,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  DescribeLogDirs,
  DescribeProducers,
  DescribeTransactions,
  ElectLeaders,
  EndTxn,
  Fetch,
  FindCoordinator,
  Heartbeat,
  IncrementalAlterConfigs,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  ListPartitionReassignments,
  ListTransactions,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  OffsetForLeaderEpoch,
  Produce,
  SyncGroup,
  TxnOffsetCommit,
  WriteTxnMarkers,
  type MetadataRequest,
} from '../protocol/generated/index.js';
import { RawClient, fetchRequest } from '../../compat-tests/raw-client.js';
import { SaslAuthenticate, SaslHandshake } from '../protocol/generated/index.js';
import { tmpDataDir } from '../../compat-tests/harness.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType as Res } from '../auth/acl.js';
import { alterPartitionHandler } from './56-alter-partition.js';
import { brokerRegistrationHandler } from './62-broker-registration.js';
import { brokerHeartbeatHandler } from './63-broker-heartbeat.js';
import { allocateProducerIdsHandler } from './67-allocate-producer-ids.js';
import { fetchMetadataHandler } from './01-fetch-metadata.js';
import { CLOSE_CONNECTION, type ApiHandler, type RequestContext } from './registry.js';

const ADMIN = 'User:admin';
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
  + 'user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";';
const ALICE = 'User:alice';
const BOB = 'User:bob';
const T = 'data';
const G = 'g';
const X = 'tx';
const ZERO = Buffer.alloc(16);
const AUTH_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);

let broker: Broker;
const data = tmpDataDir('sluice-acl-matrix-');

/** Handlers the client listener does not serve (the controller's), called directly. */
const CONTROLLER_ONLY = new Map<number, ApiHandler>([
  [alterPartitionHandler.codec.apiKey, alterPartitionHandler],
  [brokerRegistrationHandler.codec.apiKey, brokerRegistrationHandler],
  [brokerHeartbeatHandler.codec.apiKey, brokerHeartbeatHandler],
  [allocateProducerIdsHandler.codec.apiKey, allocateProducerIdsHandler],
]);

function ctxFor(principal: string, apiVersion: number): RequestContext {
  const session = { ...newSession('PLAINTEXT', 'PLAINTEXT', '127.0.0.1'), principal };
  return {
    broker,
    handlers: broker.handlers,
    apiVersion,
    correlationId: 1,
    clientId: 'matrix',
    clientHost: '/127.0.0.1',
    session,
    onClose: () => () => {},
    takeResponseBytes: (bytes) => bytes,
    returnResponseBytes: () => {},
  };
}

/** Over the wire: one SASL/PLAIN-authenticated connection per user; null while in process. */
let wire: Map<string, RawClient> | null = null;

async function call<Req, Res>(codec: ApiCodec<Req, Res>, version: number, req: Req, principal: string, handler?: ApiHandler): Promise<Res> {
  if (wire !== null && principal !== ADMIN) {
    if (handler || CONTROLLER_ONLY.has(codec.apiKey)) throw new Error(`${codec.name} is not served on the client listener`);
    return wire.get(principal)!.request(codec, version, req);
  }
  const h = handler ?? broker.handlers.get(codec.apiKey) ?? CONTROLLER_ONLY.get(codec.apiKey);
  if (!h) throw new Error(`no handler for ${codec.name}`);
  const res = await h.handle(req, ctxFor(principal, version));
  if (res === null || res === CLOSE_CONNECTION) throw new Error(`${codec.name} answered nothing`);
  return res as Res;
}

const metadataReq = (topics: MetadataRequest['topics'], allowAutoTopicCreation = false): MetadataRequest => ({ topics, allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });

async function logEnd(topic: string): Promise<bigint> {
  const res = await call(ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 }, ADMIN);
  return res.topics[0]!.partitions[0]!.offset;
}
const logStart = (): bigint => broker.replicas.getPartition(T, 0)!.logStartOffset;
const committed = (): string => JSON.stringify(broker.groups.fetchOffsets(G, [{ name: T, partitions: [0] }]), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
const topicExists = (name: string): boolean => broker.image.topicsByName.has(name);
const topicConfigs = (): string => JSON.stringify([...(broker.image.topicsByName.get(T)?.configs ?? new Map())]);
const brokerConfigs = (): string => JSON.stringify([...(broker.image.brokerConfigs.get('') ?? new Map())]);

/** One row of the matrix: run as a principal, answering the error codes relevant to authorization. */
interface Row {
  api: string;
  /** Kafka's error for the denied principal. */
  denied: number;
  run(principal: string): Promise<number[]>;
  /** What must not change when denied (snapshotted before and after bob's request). */
  state?: () => unknown;
  /** An inter-broker or controller API: not on the client listener, checked in process only. */
  inProcessOnly?: boolean;
}

const rows: Row[] = [
  {
    api: 'Produce: WRITE topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: () => logEnd(T),
    run: async (p) => {
      const res = await call(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: T, topicId: ZERO, partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from(p) }]) }] }] }, p);
      return res.responses.flatMap((r) => r.partitionResponses.map((x) => x.errorCode));
    },
  },
  {
    api: 'Produce transactional: WRITE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    state: () => logEnd(T),
    run: async (p) => {
      const batch = buildRecordBatch([{ key: null, value: Buffer.from('txn') }], { producerId: 999n, producerEpoch: 0, baseSequence: 0, isTransactional: true });
      const res = await call(Produce, 9, { transactionalId: X, acks: -1, timeoutMs: 1000, topicData: [{ name: T, topicId: ZERO, partitionData: [{ index: 0, records: batch }] }] }, p);
      return res.responses.flatMap((r) => r.partitionResponses.map((x) => x.errorCode));
    },
  },
  {
    api: 'Fetch: READ topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(Fetch, 11, fetchRequest(T, 0, 0n), p);
      const part = res.responses[0]!.partitions[0]!;
      const records = part.records ? splitBatches(part.records).flatMap((b) => decodeRecords(b)) : [];
      if (part.errorCode !== ErrorCode.NONE && records.length > 0) throw new Error('a refused fetch returned records');
      if (part.errorCode === ErrorCode.NONE && records.length === 0) throw new Error('an allowed fetch returned nothing');
      return [part.errorCode];
    },
  },
  {
    api: 'Fetch from a follower: CLUSTER_ACTION',
    inProcessOnly: true,
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(Fetch, 11, fetchRequest(T, 0, 0n, { replicaId: 7 }), p);
      const part = res.responses[0]!.partitions[0]!;
      if (part.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED && part.records && part.records.length > 0) throw new Error('records leaked');
      return [part.errorCode];
    },
  },
  {
    api: 'ListOffsets: DESCRIBE topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 0 }, p);
      const part = res.topics[0]!.partitions[0]!;
      if (part.errorCode !== ErrorCode.NONE && part.offset !== -1n) throw new Error('offset leaked');
      return [part.errorCode];
    },
  },
  {
    api: 'Metadata naming a topic: DESCRIBE topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(Metadata, 9, metadataReq([{ topicId: ZERO, name: T }]), p);
      const topic = res.topics[0]!;
      if (topic.errorCode !== ErrorCode.NONE && (topic.partitions.length > 0 || !topic.topicId.equals(ZERO))) throw new Error('metadata leaked');
      return [topic.errorCode];
    },
  },
  {
    api: 'Metadata of all topics: unauthorized topics left out',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(Metadata, 9, metadataReq(null), p);
      return [res.topics.some((x) => x.name === T) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED];
    },
  },
  {
    api: 'Metadata auto-creation: CREATE',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: () => topicExists('alice-auto'),
    run: async (p) => {
      const res = await call(Metadata, 9, metadataReq([{ topicId: ZERO, name: 'alice-auto' }], true), p);
      return [res.topics[0]!.errorCode];
    },
  },
  {
    api: 'CreateTopics: CREATE cluster or topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: () => topicExists('alice-new'),
    run: async (p) => {
      const res = await call(CreateTopics, 7, { topics: [{ name: 'alice-new', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }, p);
      return res.topics.map((x) => x.errorCode);
    },
  },
  {
    api: 'DeleteTopics: DELETE topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: () => topicExists('alice-del'),
    run: async (p) => {
      const res = await call(DeleteTopics, 6, { topics: [{ name: 'alice-del', topicId: ZERO }], topicNames: [], timeoutMs: 1000 }, p);
      return res.responses.map((x) => x.errorCode);
    },
  },
  {
    api: 'DeleteRecords: DELETE topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: logStart,
    run: async (p) => {
      const res = await call(DeleteRecords, 2, { topics: [{ name: T, partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 }, p);
      return res.topics.flatMap((x) => x.partitions.map((y) => y.errorCode));
    },
  },
  {
    api: 'CreatePartitions: ALTER topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: () => broker.image.topicsByName.get(T)!.partitions.length,
    run: async (p) => {
      const res = await call(CreatePartitions, 3, { topics: [{ name: T, count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false }, p);
      return res.results.map((x) => x.errorCode);
    },
  },
  {
    api: 'DescribeConfigs of a topic: DESCRIBE_CONFIGS topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: T, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }, p);
      const r = res.results[0]!;
      if (r.errorCode !== ErrorCode.NONE && r.configs.length > 0) throw new Error('configs leaked');
      return [r.errorCode];
    },
  },
  {
    api: 'DescribeConfigs of the broker: DESCRIBE_CONFIGS cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: String(broker.nodeId), configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }, p);
      return res.results.map((x) => x.errorCode);
    },
  },
  {
    api: 'AlterConfigs of a topic: ALTER_CONFIGS topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: topicConfigs,
    run: async (p) => {
      const res = await call(AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', value: '3600000' }] }], validateOnly: false }, p);
      return res.responses.map((x) => x.errorCode);
    },
  },
  {
    api: 'IncrementalAlterConfigs of a topic: ALTER_CONFIGS topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    state: topicConfigs,
    run: async (p) => {
      const res = await call(IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.bytes', configOperation: 0, value: '100000' }] }], validateOnly: false }, p);
      return res.responses.map((x) => x.errorCode);
    },
  },
  {
    api: 'IncrementalAlterConfigs of the cluster: ALTER_CONFIGS cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: brokerConfigs,
    run: async (p) => {
      const res = await call(IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '7200000' }] }], validateOnly: false }, p);
      return res.responses.map((x) => x.errorCode);
    },
  },
  {
    api: 'OffsetCommit: READ group and topic',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    state: committed,
    run: async (p) => {
      const res = await call(OffsetCommit, 8, { groupId: G, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: T, topicId: ZERO, partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: p }] }] }, p);
      return res.topics.flatMap((x) => x.partitions.map((y) => y.errorCode));
    },
  },
  {
    api: 'OffsetFetch: DESCRIBE group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(OffsetFetch, 7, { groupId: G, topics: null, groups: [], requireStable: false }, p);
      if (res.errorCode !== ErrorCode.NONE && res.topics.length > 0) throw new Error('offsets leaked');
      return [res.errorCode, ...res.topics.flatMap((x) => x.partitions.map((y) => y.errorCode))];
    },
  },
  {
    api: 'FindCoordinator of a group: DESCRIBE group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(FindCoordinator, 3, { key: G, keyType: 0, coordinatorKeys: [] }, p)).errorCode],
  },
  {
    api: 'FindCoordinator of a transaction: DESCRIBE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => (await call(FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: [X] }, p)).coordinators.map((c) => c.errorCode),
  },
  {
    api: 'JoinGroup: READ group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    state: () => broker.groups.describe(G).members.length,
    run: async (p) => {
      const res = await call(JoinGroup, 3, { groupId: G, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null }, p);
      return [res.errorCode];
    },
  },
  {
    api: 'SyncGroup: READ group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(SyncGroup, 3, { groupId: G, generationId: 1, memberId: 'nobody', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, p)).errorCode],
  },
  {
    api: 'Heartbeat: READ group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(Heartbeat, 3, { groupId: G, generationId: 1, memberId: 'nobody', groupInstanceId: null }, p)).errorCode],
  },
  {
    api: 'LeaveGroup: READ group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    state: () => broker.groups.describe(G).members.length,
    run: async (p) => [(await call(LeaveGroup, 3, { groupId: G, memberId: '', members: [{ memberId: 'nobody', groupInstanceId: null, reason: null }] }, p)).errorCode],
  },
  {
    api: 'DescribeGroups: DESCRIBE group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    run: async (p) => {
      const g = (await call(DescribeGroups, 3, { groups: [G], includeAuthorizedOperations: true }, p)).groups[0]!;
      if (g.errorCode !== ErrorCode.NONE && g.members.length > 0) throw new Error('members leaked');
      return [g.errorCode];
    },
  },
  {
    api: 'ListGroups: unauthorized groups left out',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(ListGroups, 3, { statesFilter: [], typesFilter: [] }, p);
      return [res.groups.some((g) => g.groupId === G) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED];
    },
  },
  {
    api: 'OffsetDelete: DELETE group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    state: committed,
    run: async (p) => {
      const res = await call(OffsetDelete, 0, { groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] }, p);
      return [res.errorCode, ...res.topics.flatMap((x) => x.partitions.map((y) => y.errorCode))];
    },
  },
  {
    api: 'DeleteGroups: DELETE group',
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    state: () => broker.groups.list([], []).some((g) => g.groupId === 'alice-empty'),
    run: async (p) => (await call(DeleteGroups, 2, { groupsNames: ['alice-empty'] }, p)).results.map((r) => r.errorCode),
  },
  {
    api: 'InitProducerId idempotent: IDEMPOTENT_WRITE cluster (or WRITE on a topic)',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, p)).errorCode],
  },
  {
    api: 'InitProducerId transactional: WRITE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(InitProducerId, 4, { transactionalId: X, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, p)).errorCode],
  },
  {
    api: 'AddPartitionsToTxn: WRITE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(AddPartitionsToTxn, 3, { transactions: [], v3AndBelowTransactionalId: X, v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: T, partitions: [0] }] }, p);
      return res.resultsByTopicV3AndBelow.flatMap((x) => x.resultsByPartition.map((y) => y.partitionErrorCode));
    },
  },
  {
    api: 'AddOffsetsToTxn: WRITE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(AddOffsetsToTxn, 3, { transactionalId: X, producerId: 0n, producerEpoch: 0, groupId: G }, p)).errorCode],
  },
  {
    api: 'TxnOffsetCommit: WRITE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    state: committed,
    run: async (p) => {
      const res = await call(TxnOffsetCommit, 3, { transactionalId: X, groupId: G, producerId: 0n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] }, p);
      return res.topics.flatMap((x) => x.partitions.map((y) => y.errorCode));
    },
  },
  {
    api: 'EndTxn: WRITE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(EndTxn, 3, { transactionalId: X, producerId: 0n, producerEpoch: 0, committed: false }, p)).errorCode],
  },
  {
    api: 'DescribeTransactions: DESCRIBE transactional id',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => (await call(DescribeTransactions, 0, { transactionalIds: [X] }, p)).transactionStates.map((s) => s.errorCode),
  },
  {
    api: 'ListTransactions: unauthorized transactional ids left out',
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: null }, p);
      return [res.transactionStates.some((s) => s.transactionalId === X) ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED];
    },
  },
  {
    api: 'DescribeProducers: READ topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => (await call(DescribeProducers, 0, { topics: [{ name: T, partitionIndexes: [0] }] }, p)).topics.flatMap((x) => x.partitions.map((y) => y.errorCode)),
  },
  {
    api: 'OffsetForLeaderEpoch: DESCRIBE topic',
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }, p);
      return res.topics.flatMap((x) => x.partitions.map((y) => y.errorCode));
    },
  },
  {
    api: 'WriteTxnMarkers: CLUSTER_ACTION',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: () => logEnd(T),
    run: async (p) => {
      const res = await call(WriteTxnMarkers, 1, { markers: [{ producerId: 4242n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'no-such-topic', partitionIndexes: [0] }] }] }, p);
      return res.markers.flatMap((m) => m.topics.flatMap((x) => x.partitions.map((y) => y.errorCode)));
    },
  },
  {
    api: 'ElectLeaders: ALTER cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: T, partitions: [0] }], timeoutMs: 1000 }, p);
      return [res.errorCode, ...res.replicaElectionResults.flatMap((x) => x.partitionResult.map((y) => y.errorCode))];
    },
  },
  {
    api: 'AlterPartitionReassignments: ALTER cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(AlterPartitionReassignments, 0, { timeoutMs: 1000, allowReplicationFactorChange: true, topics: [{ name: T, partitions: [{ partitionIndex: 0, replicas: null }] }] }, p)).errorCode],
  },
  {
    api: 'ListPartitionReassignments: DESCRIBE cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null }, p)).errorCode],
  },
  {
    api: 'DescribeLogDirs: DESCRIBE cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(DescribeLogDirs, 4, { topics: null }, p);
      if (res.errorCode !== ErrorCode.NONE && res.results.length > 0) throw new Error('log dirs leaked');
      return [res.errorCode];
    },
  },
  {
    api: 'DescribeCluster: authorized operations 0 without DESCRIBE cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false }, p);
      return [res.errorCode, res.clusterAuthorizedOperations === 0 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.NONE];
    },
  },
  {
    api: 'DescribeAcls: DESCRIBE cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(DescribeAcls, 3, { resourceTypeFilter: Res.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: PermissionType.ANY }, p);
      if (res.errorCode !== ErrorCode.NONE && res.resources.length > 0) throw new Error('ACLs leaked');
      return [res.errorCode];
    },
  },
  {
    api: 'CreateAcls: ALTER cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: () => broker.image.acls.size,
    run: async (p) => {
      const res = await call(CreateAcls, 3, { creations: [{ resourceType: Res.TOPIC, resourceName: 'x', resourcePatternType: PatternType.LITERAL, principal: p, host: '*', operation: Op.ALL, permissionType: PermissionType.ALLOW }] }, p);
      return res.results.map((r) => r.errorCode);
    },
  },
  {
    api: 'DeleteAcls: ALTER cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: () => broker.image.acls.size,
    run: async (p) => {
      const res = await call(DeleteAcls, 3, { filters: [{ resourceTypeFilter: Res.TOPIC, resourceNameFilter: 'x', patternTypeFilter: PatternType.LITERAL, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: PermissionType.ANY }] }, p);
      return res.filterResults.map((r) => r.errorCode);
    },
  },
  {
    api: 'DescribeUserScramCredentials: DESCRIBE cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(DescribeUserScramCredentials, 0, { users: null }, p);
      if (res.errorCode !== ErrorCode.NONE && res.results.length > 0) throw new Error('users leaked');
      return [res.errorCode];
    },
  },
  {
    api: 'AlterUserScramCredentials: ALTER cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: () => broker.image.scramCredentials.size,
    run: async (p) => {
      const res = await call(AlterUserScramCredentials, 0, { deletions: [], upsertions: [{ name: `made-by-${p}`, mechanism: 1, iterations: 4096, salt: Buffer.alloc(16, 1), saltedPassword: Buffer.alloc(32, 2) }] }, p);
      return res.results.map((r) => r.errorCode);
    },
  },
  {
    api: 'UpdateFeatures: ALTER cluster',
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    // The level asked is the one finalized already: allowed, it changes nothing the next cells see.
    state: () => broker.image.lastOffset,
    run: async (p) => {
      const res = await call(UpdateFeatures, 2, { timeoutMs: 60000, featureUpdates: [{ feature: 'group.version', maxVersionLevel: 1, allowDowngrade: false, upgradeType: 1 }], validateOnly: false }, p);
      return [res.errorCode];
    },
  },
  {
    api: 'AlterPartition (inter-broker): CLUSTER_ACTION',
    inProcessOnly: true,
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(AlterPartition, 3, { brokerId: 7, brokerEpoch: 0n, topics: [] }, p)).errorCode],
  },
  {
    api: 'BrokerRegistration (inter-broker): CLUSTER_ACTION',
    inProcessOnly: true,
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: () => broker.image.brokers.size,
    run: async (p) => {
      const res = await call(BrokerRegistration, 4, { brokerId: 7, clusterId: 'not-this-cluster', incarnationId: Buffer.alloc(16, 1), listeners: [], features: [], rack: null, isMigratingZkBroker: false, logDirs: [], previousBrokerEpoch: -1n }, p);
      return [res.errorCode];
    },
  },
  {
    api: 'BrokerHeartbeat (inter-broker): CLUSTER_ACTION',
    inProcessOnly: true,
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => [(await call(BrokerHeartbeat, 1, { brokerId: 7, brokerEpoch: 0n, currentMetadataOffset: 0n, wantFence: false, wantShutDown: false, offlineLogDirs: [] }, p)).errorCode],
  },
  {
    api: 'AllocateProducerIds (inter-broker): CLUSTER_ACTION',
    inProcessOnly: true,
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    state: () => broker.image.nextProducerId,
    run: async (p) => [(await call(AllocateProducerIds, 0, { brokerId: 7, brokerEpoch: 0n }, p)).errorCode],
  },
  {
    api: 'Fetch of the metadata log (controller): CLUSTER_ACTION',
    inProcessOnly: true,
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    run: async (p) => {
      const res = await call(Fetch, 12, fetchRequest('__cluster_metadata', 0, 0n, { replicaId: 7 }), p, fetchMetadataHandler);
      if (res.errorCode !== ErrorCode.NONE && res.responses.length > 0) throw new Error('metadata records leaked');
      return [res.errorCode];
    },
  },
];

/** Everything alice needs for every row, and nothing for bob. */
const ALICE_ACLS: Array<[number, string, number, number]> = [
  [Res.TOPIC, T, PatternType.LITERAL, Op.WRITE],
  [Res.TOPIC, T, PatternType.LITERAL, Op.READ],
  [Res.TOPIC, T, PatternType.LITERAL, Op.DELETE],
  [Res.TOPIC, T, PatternType.LITERAL, Op.ALTER],
  [Res.TOPIC, T, PatternType.LITERAL, Op.ALTER_CONFIGS],
  [Res.TOPIC, 'alice-', PatternType.PREFIXED, Op.ALL],
  [Res.GROUP, G, PatternType.LITERAL, Op.READ],
  [Res.GROUP, G, PatternType.LITERAL, Op.DELETE],
  [Res.GROUP, 'alice-', PatternType.PREFIXED, Op.ALL],
  [Res.TRANSACTIONAL_ID, X, PatternType.LITERAL, Op.WRITE],
  [Res.CLUSTER, 'kafka-cluster', PatternType.LITERAL, Op.IDEMPOTENT_WRITE],
  [Res.CLUSTER, 'kafka-cluster', PatternType.LITERAL, Op.ALTER],
  [Res.CLUSTER, 'kafka-cluster', PatternType.LITERAL, Op.DESCRIBE],
  [Res.CLUSTER, 'kafka-cluster', PatternType.LITERAL, Op.CLUSTER_ACTION],
  [Res.CLUSTER, 'kafka-cluster', PatternType.LITERAL, Op.ALTER_CONFIGS],
];

t.before(async () => {
  broker = await Broker.start({
    port: 0,
    dataDir: data.dir,
    overrides: [
      'listeners=SASL_PLAINTEXT://127.0.0.1:0',
      'inter.broker.listener.name=SASL_PLAINTEXT',
      'sasl.mechanism.inter.broker.protocol=PLAIN',
      'sasl.enabled.mechanisms=PLAIN',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      `super.users=${ADMIN}`,
      'num.partitions=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
    ],
    logger: { debug() {}, info() {}, warn() {}, error() {} } as never,
  });
  for (const name of [T, 'alice-del']) {
    const res = await call(CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }, ADMIN);
    if (res.topics[0]!.errorCode !== ErrorCode.NONE) throw new Error(`creating ${name}: ${res.topics[0]!.errorMessage}`);
  }
  const produced = await call(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: T, topicId: ZERO, partitionData: [{ index: 0, records: buildRecordBatch([0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`r${i}`) }))) }] }] }, ADMIN);
  if (produced.responses[0]!.partitionResponses[0]!.errorCode !== ErrorCode.NONE) throw new Error('admin produce failed');
  // An empty group with a committed offset, for DeleteGroups.
  await call(OffsetCommit, 8, { groupId: 'alice-empty', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: T, topicId: ZERO, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] }, ADMIN);
  // A transaction for DescribeTransactions/ListTransactions to show.
  await call(InitProducerId, 4, { transactionalId: X, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false }, ADMIN);
  const created = await call(CreateAcls, 3, {
    creations: ALICE_ACLS.map(([resourceType, resourceName, resourcePatternType, operation]) => ({ resourceType, resourceName, resourcePatternType, principal: ALICE, host: '*', operation, permissionType: PermissionType.ALLOW })),
  }, ADMIN);
  if (created.results.some((r) => r.errorCode !== ErrorCode.NONE)) throw new Error(`CreateAcls: ${JSON.stringify(created.results)}`);
});

t.teardown(async () => {
  for (const c of wire?.values() ?? []) c.close();
  await broker?.stop();
  data.remove();
});

const snapshot = async (row: Row): Promise<string> => JSON.stringify(row.state ? await row.state() : null, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

let cells = 0;
let wireCells = 0;

function matrix(t: Test, mode: 'in process' | 'over the wire'): void {
  for (const row of rows) {
    if (mode === 'over the wire' && row.inProcessOnly) continue;
    t.test(`${row.api} — bob (no ACLs) is refused and nothing happens`, async (t) => {
      const before = await snapshot(row);
      const codes = await row.run(BOB);
      t.ok(codes.length > 0, 'answered');
      t.ok(codes.includes(row.denied), `${row.denied} among ${codes.join(',')}`);
      t.ok(codes.every((c) => c === row.denied || c === ErrorCode.NONE), `only the refusal: ${codes.join(',')}`);
      t.equal(await snapshot(row), before, 'no effect');
      if (mode === 'in process') cells++;
      else wireCells++;
    });
    t.test(`${row.api} — alice (allowed) is not refused`, async (t) => {
      const codes = await row.run(ALICE);
      t.ok(codes.length > 0, 'answered');
      t.same(codes.filter((c) => AUTH_ERRORS.has(c)), [], `no authorization error: ${codes.join(',')}`);
      if (mode === 'in process') cells++;
      else wireCells++;
    });
  }
}

t.test('in process, with constructed sessions', async (t) => matrix(t, 'in process'));

t.test('over the wire, each user authenticated with SASL/PLAIN', async (t) => {
  wire = new Map();
  for (const user of [ALICE, BOB]) {
    const name = user.slice('User:'.length);
    const c = await RawClient.connect(broker.listenPort);
    const hs = await c.request(SaslHandshake, 1, { mechanism: 'PLAIN' });
    t.equal(hs.errorCode, ErrorCode.NONE, `${name}: handshake`);
    const auth = await c.request(SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${name}\u0000${name}-secret`) });
    t.equal(auth.errorCode, ErrorCode.NONE, `${name}: authenticated`);
    wire.set(user, c);
  }
  matrix(t, 'over the wire');
});

t.test('the matrix has at least 60 cells each way, every one run', async (t) => {
  t.equal(cells, rows.length * 2);
  t.ok(cells >= 60, `${cells} cells in process`);
  t.equal(wireCells, rows.filter((r) => !r.inProcessOnly).length * 2);
  t.ok(wireCells >= 60, `${wireCells} cells over the wire`);
});

t.test('what the allowed cells changed, they changed for real', async (t) => {
  t.ok(topicExists('alice-new'), 'CreateTopics created the topic');
  t.ok(topicExists('alice-auto'), 'Metadata auto-created the topic');
  t.notOk(topicExists('alice-del'), 'DeleteTopics deleted the topic');
  t.equal(broker.image.topicsByName.get(T)!.partitions.length, 2, 'CreatePartitions added a partition');
  t.equal(broker.image.topicsByName.get(T)!.configs.get('retention.ms'), '3600000', 'AlterConfigs applied');
  t.ok(logStart() >= 1n, 'DeleteRecords moved the log start');
});
