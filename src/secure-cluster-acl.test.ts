/**
 * A two-node cluster with authorization on, configured as production ones are (issue 13): every
 * listener SASL (PLAIN), the brokers authenticating to each other and to the controller as
 * User:admin, the one super user; StandardAuthorizer on both nodes. Inter-broker traffic
 * (registration, heartbeats, the metadata log, follower fetches, forwarded requests) works under
 * the authorizer; clients on the broker-only node are authorized as themselves, not as the
 * broker that forwards for them: alice (CREATE/WRITE/READ on topics "alice-*") creates and
 * produces with acks=all to two replicas, bob is refused and nothing is created.
 */
import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { Broker, formatDataDir } from './broker.js';
import { createLogger, silentLogger } from './logger.js';
import { tmpDataDir, until } from '../compat-tests/harness.js';
import { AclOperation, PatternType, PermissionType, ResourceType } from './auth/acl.js';

const d1 = tmpDataDir('sluice-acl-cluster-1-');
const d2 = tmpDataDir('sluice-acl-cluster-2-');
let n1: Broker;
let n2: Broker;

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
  + 'user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";';
const common = [
  'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
  'controller.listener.names=CONTROLLER',
  'inter.broker.listener.name=SASL_PLAINTEXT',
  'sasl.enabled.mechanisms=PLAIN',
  'sasl.mechanism.inter.broker.protocol=PLAIN',
  'sasl.mechanism.controller.protocol=PLAIN',
  `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
  `listener.name.controller.plain.sasl.jaas.config=${JAAS}`,
  'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users=User:admin',
  'broker.heartbeat.interval.ms=200',
  'broker.session.timeout.ms=3000',
  'replica.fetch.wait.max.ms=100',
];
const logger = (): ReturnType<typeof createLogger> => (process.env.SECURE_DEBUG ? createLogger() : silentLogger);

t.before(async () => {
  n1 = await Broker.start({ dataDir: d1.dir, logger: logger(), overrides: ['node.id=1', 'listeners=SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', ...common] });
  formatDataDir({ dataDir: d2.dir, clusterId: n1.clusterId, nodeId: 2, controller: false });
  n2 = await Broker.start({
    dataDir: d2.dir,
    logger: logger(),
    overrides: ['node.id=2', 'process.roles=broker', 'listeners=SASL_PLAINTEXT://127.0.0.1:0', `controller.quorum.voters=1@127.0.0.1:${n1.controllerPort}`, ...common],
  });
});
t.teardown(async () => {
  await n2?.stop();
  await n1?.stop();
  d1.remove();
  d2.remove();
});

const kafkaAs = (user: string, port: number): Kafka =>
  new Kafka({ clientId: `acl-cluster-${user}`, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 }, sasl: { mechanism: 'plain', username: user, password: `${user}-secret` } });

t.test('under the authorizer, brokers register as the super user; clients on the broker-only node are authorized as themselves', async (t) => {
  t.ok(await until('node 2 registered and unfenced', () => n1.image.brokers.get(2)?.fenced === false, 15_000), 'node 2 registered (CLUSTER_ACTION as User:admin)');

  const admin = kafkaAs('admin', n2.listenPort).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const grant = (operation: number) => ({ resourceType: ResourceType.TOPIC as never, resourceName: 'alice-', resourcePatternType: PatternType.PREFIXED as never, principal: 'User:alice', host: '*', operation: operation as never, permissionType: PermissionType.ALLOW as never });
  await admin.createAcls({ acl: [grant(AclOperation.CREATE), grant(AclOperation.WRITE), grant(AclOperation.READ)] });
  t.ok(await until('both nodes see the ACLs', () => n1.image.acls.size === 3 && n2.image.acls.size === 3, 10_000), 'CreateAcls forwarded to the controller, replicated to node 2');

  const bob = kafkaAs('bob', n2.listenPort).admin();
  await bob.connect();
  t.teardown(() => bob.disconnect());
  const refused = await bob.createTopics({ topics: [{ topic: 'alice-by-bob', numPartitions: 1, replicationFactor: 2 }] }).then(() => null, (e: { errors?: Array<{ type?: string }> }) => e);
  t.same(refused?.errors?.map((x) => x.type), ['TOPIC_AUTHORIZATION_FAILED'], 'bob refused by node 2, though the controller would take it from node 2 (a super user)');
  t.notOk(n1.image.topicsByName.has('alice-by-bob'), 'nothing created');

  const alice = kafkaAs('alice', n2.listenPort);
  const aliceAdmin = alice.admin();
  await aliceAdmin.connect();
  t.teardown(() => aliceAdmin.disconnect());
  await aliceAdmin.createTopics({ topics: [{ topic: 'alice-t', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true });
  t.ok(n1.image.topicsByName.has('alice-t'), 'alice created alice-t through node 2');
  const producer = alice.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const sent = await producer.send({ topic: 'alice-t', acks: -1, messages: [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `v${i}` })) });
  t.same(sent.map((r) => r.errorCode), sent.map(() => 0), 'acks=all with two replicas: the followers fetch as User:admin');
  const bobProducer = kafkaAs('bob', n2.listenPort).producer();
  await bobProducer.connect();
  t.teardown(() => bobProducer.disconnect());
  await t.rejects(bobProducer.send({ topic: 'alice-t', messages: [{ value: 'bob' }] }), /[Nn]ot authorized/, 'bob may not write');
});
