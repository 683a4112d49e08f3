/**
 * Authorization over the wire (issue 13): a broker process with one SASL_PLAINTEXT listener (PLAIN,
 * users admin, alice and bob from its JAAS config), StandardAuthorizer and super.users=User:admin,
 * driven by kafkajs as each user. The admin grants alice WRITE and READ on topic "orders" and READ
 * on group "g-alice"; bob gets nothing. Every refusal is checked for its effect: nothing produced,
 * nothing consumed, no topic created or deleted, no ACL created.
 */
import t from 'tap';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { AclOperation, PatternType, PermissionType, ResourceType } from '../src/auth/acl.js';
import { spawnBroker, stopBroker, tmpDataDir, type BrokerProcess } from './harness.js';

// kafkajs's enums (a CommonJS module without named ESM exports) hold Kafka's codes: ours.
const AclResourceTypes = ResourceType as unknown as { ANY: never; TOPIC: never; GROUP: never };
const AclOperationTypes = AclOperation as unknown as { ANY: never; ALL: never; READ: never; WRITE: never };
const AclPermissionTypes = PermissionType as unknown as { ANY: never; ALLOW: never };
const ResourcePatternTypes = PatternType as unknown as { ANY: never; LITERAL: never };

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
  + 'user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";';

const data = tmpDataDir('sluice-acl-sasl-');
let broker: BrokerProcess;
const admins: Admin[] = [];

function client(user: string): Kafka {
  return new Kafka({
    clientId: `acl-${user}`,
    brokers: [`127.0.0.1:${broker.port}`],
    sasl: { mechanism: 'plain', username: user, password: `${user}-secret` },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

async function admin(user: string): Promise<Admin> {
  const a = client(user).admin();
  await a.connect();
  admins.push(a);
  return a;
}

t.before(async () => {
  broker = await spawnBroker({
    dataDir: data.dir,
    args: [
      '--override', 'listeners=SASL_PLAINTEXT://127.0.0.1:0',
      '--override', 'inter.broker.listener.name=SASL_PLAINTEXT',
      '--override', 'sasl.mechanism.inter.broker.protocol=PLAIN',
      '--override', 'sasl.enabled.mechanisms=PLAIN',
      '--override', `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
      '--override', 'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      '--override', 'super.users=User:admin',
      '--override', 'offsets.topic.replication.factor=1',
      '--override', 'group.initial.rebalance.delay.ms=0',
    ],
  });
  const a = await admin('admin');
  t.ok(await a.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }], waitForLeaders: true }), 'admin creates orders');
  await a.createAcls({
    acl: [
      { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW },
      { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
      { resourceType: AclResourceTypes.GROUP, resourceName: 'g-alice', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
    ],
  });
});

t.teardown(async () => {
  for (const a of admins) await a.disconnect().catch(() => {});
  if (broker) await stopBroker(broker);
  data.remove();
});

async function endOffset(): Promise<string> {
  const offsets = await admins[0]!.fetchTopicOffsets('orders');
  return offsets[0]!.high;
}

t.test('DescribeAcls over the wire shows what the admin granted', async (t) => {
  const res = await admins[0]!.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
  t.same(res.resources.map((r) => `${r.resourceType}:${r.resourceName}:${r.acls.length}`).sort(), ['2:orders:2', '3:g-alice:1']);
});

t.test('produce: alice writes, bob is refused and nothing is appended', async (t) => {
  const alice = client('alice').producer();
  await alice.connect();
  t.teardown(() => alice.disconnect());
  await alice.send({ topic: 'orders', messages: [{ value: 'from alice' }] });
  t.equal(await endOffset(), '1');
  const bob = client('bob').producer();
  await bob.connect();
  t.teardown(() => bob.disconnect());
  await t.rejects(bob.send({ topic: 'orders', messages: [{ value: 'from bob' }] }), /[Nn]ot authorized/);
  t.equal(await endOffset(), '1', 'nothing appended');
});

t.test('consume: alice reads in g-alice, bob is refused (group, then topic)', async (t) => {
  const consumer = client('alice').consumer({ groupId: 'g-alice' });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  const got = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('alice read nothing in 20 s')), 20_000);
    void consumer.run({ eachMessage: async ({ message }) => { clearTimeout(timer); resolve(message.value!.toString()); } });
  });
  t.equal(got, 'from alice');
  const bob = client('bob').consumer({ groupId: 'g-alice' });
  await bob.connect();
  t.teardown(() => bob.disconnect());
  await t.rejects(
    (async () => {
      await bob.subscribe({ topic: 'orders', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        bob.on(bob.events.CRASH, (e) => reject(e.payload.error));
        void bob.run({ eachMessage: async () => resolve() }).catch(reject);
        setTimeout(() => resolve(), 15_000);
      });
      throw new Error('bob consumed or was never refused');
    })(),
    /[Nn]ot authorized|authorization/i,
  );
});

t.test('admin APIs: bob may not create or delete topics, nor create ACLs; nothing changes', async (t) => {
  const bob = await admin('bob');
  const created = await bob.createTopics({ topics: [{ topic: 'bobs-topic' }] }).then(() => null, (e: { errors?: Array<{ type?: string }> }) => e);
  t.same(created?.errors?.map((x) => x.type), ['TOPIC_AUTHORIZATION_FAILED'], 'CreateTopics refused');
  await t.rejects(bob.deleteTopics({ topics: ['orders'] }), /[Nn]ot authorized|authorization/i);
  await t.rejects(
    bob.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW }] }),
    /[Nn]ot authorized|authorization/i,
  );
  const topics = await admins[0]!.listTopics();
  t.ok(topics.includes('orders'), 'orders still there');
  t.notOk(topics.includes('bobs-topic'), 'bobs-topic never created');
  const acls = await admins[0]!.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY, principal: 'User:bob' });
  t.same(acls.resources, [], 'no ACL for bob');
  t.same((await bob.listTopics()).filter((x) => x === 'orders'), [], 'bob does not even see orders in Metadata');
});
