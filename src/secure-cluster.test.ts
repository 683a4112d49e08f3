/**
 * A cluster whose every connection is secured, as production ones are: node 1 combined, node 2
 * broker-only; clients and brokers on a SASL_SSL listener (brokers authenticate to each other
 * with SCRAM-SHA-512, sasl.mechanism.inter.broker.protocol), the controller listener SASL_SSL
 * too with PLAIN (sasl.mechanism.controller.protocol). Node 2 registers, copies the metadata and
 * forwards topic creation over the controller listener; each broker fetches from the other as a
 * follower; acks=all produce through kafkajs over SASL_SSL. SECURE_DEBUG=1 prints both brokers' logs.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker, formatDataDir } from './broker.js';
import { createLogger, silentLogger } from './logger.js';
import { writeDevCerts } from './net/dev-certs.js';
import { parseAddScram } from './auth/scram.js';
import { tmpDataDir, until } from '../compat-tests/harness.js';

const certsDir = mkdtempSync(join(tmpdir(), 'sluice-secure-certs-'));
const certs = writeDevCerts({ outDir: certsDir });
const d1 = tmpDataDir('sluice-secure-1-');
const d2 = tmpDataDir('sluice-secure-2-');
let n1: Broker;
let n2: Broker;

const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";';
const common = [
  'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL',
  'controller.listener.names=CONTROLLER',
  'inter.broker.listener.name=SASL_SSL',
  'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512',
  'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
  'sasl.mechanism.controller.protocol=PLAIN',
  `listener.name.sasl_ssl.plain.sasl.jaas.config=${PLAIN_JAAS}`,
  `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`,
  `listener.name.controller.plain.sasl.jaas.config=${PLAIN_JAAS}`,
  `listener.name.controller.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`,
  'ssl.keystore.type=PEM',
  `ssl.keystore.location=${certs.files['server.pem']}`,
  'ssl.truststore.type=PEM',
  `ssl.truststore.location=${certs.files['ca.pem']}`,
  'broker.heartbeat.interval.ms=200',
  'broker.session.timeout.ms=3000',
  'replica.fetch.wait.max.ms=100',
];

t.before(async () => {
  formatDataDir({ dataDir: d1.dir, nodeId: 1, scramCredentials: [parseAddScram('SCRAM-SHA-512=[name=admin,password=admin-secret]'), parseAddScram('SCRAM-SHA-512=[name=alice,password=alice-secret]')] });
  n1 = await Broker.start({ dataDir: d1.dir, logger: process.env.SECURE_DEBUG ? createLogger() : silentLogger, overrides: ['node.id=1', 'listeners=SASL_SSL://127.0.0.1:0,CONTROLLER://127.0.0.1:0', ...common] });
  formatDataDir({ dataDir: d2.dir, clusterId: n1.clusterId, nodeId: 2, controller: false });
  n2 = await Broker.start({
    dataDir: d2.dir,
    logger: process.env.SECURE_DEBUG ? createLogger() : silentLogger,
    overrides: ['node.id=2', 'process.roles=broker', 'listeners=SASL_SSL://127.0.0.1:0', `controller.quorum.voters=1@127.0.0.1:${n1.controllerPort}`, ...common],
  });
});
t.teardown(async () => {
  await n2?.stop();
  await n1?.stop();
  d1.remove();
  d2.remove();
  rmSync(certsDir, { recursive: true, force: true });
});

t.test('brokers authenticate to each other and to the controller; clients produce acks=all over SASL_SSL', async (t) => {
  t.ok(await until('node 2 registered and unfenced', () => n1.image.brokers.get(2)?.fenced === false, 15_000), 'node 2 registered over the SASL_SSL controller listener');
  const kafka = new Kafka({
    clientId: 'secure-cluster',
    brokers: [`127.0.0.1:${n2.listenPort}`],
    logLevel: logLevel.NOTHING,
    ssl: { ca: [certs.caCertPem] },
    sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' },
  });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  // Created through node 2, which forwards to the controller over its authenticated connection.
  await admin.createTopics({ topics: [{ topic: 'secure', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (let i = 0; i < 10; i++) await producer.send({ topic: 'secure', acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
  for (const node of [n1, n2]) {
    for (const p of [0, 1]) {
      const part = node.replicas.getPartition('secure', p);
      t.ok(part, `node ${node.nodeId} holds partition ${p}`);
    }
  }
  const ends = await admin.fetchTopicOffsets('secure');
  const total = ends.reduce((a, e) => a + Number(e.high), 0);
  t.equal(total, 10, 'ten records acknowledged by both replicas');
  t.ok(
    await until('both replicas have every record', () => [0, 1].every((p) => n1.replicas.getPartition('secure', p)!.logEndOffset === n2.replicas.getPartition('secure', p)!.logEndOffset)),
    'followers copied every record over their SCRAM-authenticated fetch connections',
  );
});
