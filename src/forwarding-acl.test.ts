/**
 * Authorization of forwarded requests (issue 13): a broker-only node checks its client's authority
 * before it forwards CreateTopics, DeleteTopics, CreatePartitions, (Incremental)AlterConfigs,
 * ElectLeaders, reassignments and Create/DeleteAcls, since the controller sees only the broker's
 * own connection. Two real nodes in process (node 1 combined, node 2 broker-only), both with
 * StandardAuthorizer; the inter-broker connections are User:ANONYMOUS on PLAINTEXT, a super user
 * (as Kafka needs its inter-broker principal to be). Requests are handed to node 2's handlers with
 * sessions naming alice (ALL on the cluster and on topics "alice-*") and bob (CREATE on topics
 * "bob-*" only).
 */
import t from 'tap';
import { Broker, formatDataDir } from './broker.js';
import { silentLogger } from './logger.js';
import { newSession } from './auth/session.js';
import { ErrorCode } from './protocol/errors.js';
import type { ApiCodec } from './protocol/api-codec.js';
import { CreateAcls, CreatePartitions, CreateTopics, DeleteTopics, ElectLeaders, IncrementalAlterConfigs, ListPartitionReassignments } from './protocol/generated/index.js';
import { CLOSE_CONNECTION, type RequestContext } from './api/registry.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType as Res } from './auth/acl.js';
import { tmpDataDir, until } from '../compat-tests/harness.js';

const d1 = tmpDataDir('sluice-fwd-acl-1-');
const d2 = tmpDataDir('sluice-fwd-acl-2-');
let n1: Broker;
let n2: Broker;

const AUTH = ['authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users=User:ANONYMOUS'];
const acl = (resourceType: number, resourceName: string, resourcePatternType: number, principal: string, operation: number) =>
  ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType: PermissionType.ALLOW });
const FAST = ['broker.heartbeat.interval.ms=200', 'broker.session.timeout.ms=3000', 'replica.fetch.wait.max.ms=100'];

function ctxFor(b: Broker, principal: string, apiVersion: number): RequestContext {
  return {
    broker: b,
    handlers: b.handlers,
    apiVersion,
    correlationId: 1,
    clientId: 'fwd-acl',
    clientHost: '/127.0.0.1',
    session: { ...newSession('PLAINTEXT', 'PLAINTEXT', '127.0.0.1'), principal },
    onClose: () => () => {},
    takeResponseBytes: (bytes) => bytes,
    returnResponseBytes: () => {},
  };
}

async function call<Req, Res>(b: Broker, codec: ApiCodec<Req, Res>, version: number, req: Req, principal: string): Promise<Res> {
  const res = await b.handlers.get(codec.apiKey)!.handle(req, ctxFor(b, principal, version));
  if (res === null || res === CLOSE_CONNECTION) throw new Error(`${codec.name} answered nothing`);
  return res as Res;
}

const createTopics = (names: string[]) => ({ topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });

t.before(async () => {
  n1 = await Broker.start({ dataDir: d1.dir, logger: silentLogger, overrides: ['node.id=1', 'listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', 'controller.listener.names=CONTROLLER', ...FAST, ...AUTH] });
  formatDataDir({ dataDir: d2.dir, clusterId: n1.clusterId, nodeId: 2, controller: false });
  n2 = await Broker.start({
    dataDir: d2.dir,
    logger: silentLogger,
    overrides: ['node.id=2', 'process.roles=broker', 'listeners=PLAINTEXT://127.0.0.1:0', 'controller.listener.names=CONTROLLER', `controller.quorum.voters=1@127.0.0.1:${n1.controllerPort}`, ...FAST, ...AUTH],
  });
  // Through node 2 (forwarded), as the super user.
  const res = await call(n2, CreateAcls, 3, {
    creations: [
      acl(Res.TOPIC, 'alice-', PatternType.PREFIXED, 'User:alice', Op.ALL),
      acl(Res.CLUSTER, 'kafka-cluster', PatternType.LITERAL, 'User:alice', Op.ALL),
      acl(Res.TOPIC, 'bob-', PatternType.PREFIXED, 'User:bob', Op.CREATE),
    ],
  }, 'User:ANONYMOUS');
  if (res.results.some((r) => r.errorCode !== ErrorCode.NONE)) throw new Error(`CreateAcls: ${JSON.stringify(res.results)}`);
  await until('node 2 sees the ACLs', () => n2.image.acls.size === 3, 10_000);
});

t.teardown(async () => {
  await n2?.stop();
  await n1?.stop();
  d1.remove();
  d2.remove();
});

t.test('CreateTopics: the refused topic is answered by the broker, the allowed one forwarded', async (t) => {
  const bob = await call(n2, CreateTopics, 7, createTopics(['alice-bob-made', 'bob-made']), 'User:bob');
  const byName = new Map(bob.topics.map((x) => [x.name, x.errorCode]));
  t.equal(byName.get('alice-bob-made'), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  t.equal(byName.get('bob-made'), ErrorCode.NONE, 'bob may create bob-*: forwarded');
  t.equal(bob.topics.length, 2);
  const alice = await call(n2, CreateTopics, 7, createTopics(['alice-made']), 'User:alice');
  t.equal(alice.topics[0]!.errorCode, ErrorCode.NONE);
  await until('node 2 sees the topics', () => n2.image.topicsByName.has('alice-made') && n2.image.topicsByName.has('bob-made'), 10_000);
  t.notOk(n1.image.topicsByName.has('alice-bob-made'), 'the controller never created the refused topic');
});

t.test('CreatePartitions, IncrementalAlterConfigs and DeleteTopics of alice-made: refused to bob, done for alice', async (t) => {
  const cp = await call(n2, CreatePartitions, 3, { topics: [{ name: 'alice-made', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false }, 'User:bob');
  t.equal(cp.results[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const iac = await call(n2, IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'alice-made', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }], validateOnly: false }, 'User:bob');
  t.equal(iac.responses[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const del = await call(n2, DeleteTopics, 6, { topics: [{ name: 'alice-made', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 5000 }, 'User:bob');
  t.equal(del.responses[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  t.equal(n1.image.topicsByName.get('alice-made')?.partitions.length, 1, 'still one partition');
  t.equal(n1.image.topicsByName.get('alice-made')?.configs.get('retention.ms'), undefined, 'config unchanged');
  t.ok(n1.image.topicsByName.has('alice-made'), 'not deleted');

  const cpA = await call(n2, CreatePartitions, 3, { topics: [{ name: 'alice-made', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false }, 'User:alice');
  t.equal(cpA.results[0]!.errorCode, ErrorCode.NONE);
  const delA = await call(n2, DeleteTopics, 6, { topics: [{ name: 'alice-made', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 5000 }, 'User:alice');
  t.equal(delA.responses[0]!.errorCode, ErrorCode.NONE);
  await until('alice-made deleted', () => !n1.image.topicsByName.has('alice-made'), 10_000);
});

t.test('cluster-wide forwarded APIs are refused on the broker', async (t) => {
  const el = await call(n2, ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 }, 'User:bob');
  t.equal(el.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const lr = await call(n2, ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null }, 'User:bob');
  t.equal(lr.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const acl = await call(n2, CreateAcls, 3, {
    creations: [{ resourceType: Res.TOPIC, resourceName: 'x', resourcePatternType: PatternType.LITERAL, principal: 'User:bob', host: '*', operation: Op.ALL, permissionType: PermissionType.ALLOW }],
  }, 'User:bob');
  t.equal(acl.results[0]!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  t.equal(n1.image.acls.size, 3, 'no ACL added');
  const el2 = await call(n2, ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 }, 'User:alice');
  t.not(el2.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'alice may');
});
