/**
 * The CONTROLLER listener of a combined node, over the wire with the inter-broker client: it
 * serves the controller's APIs (and only those), a second broker registers, heartbeats until it
 * is unfenced, and takes a block of producer ids; a stale broker epoch is refused. The client
 * listener does not show these APIs.
 */
import t from 'tap';
import { Broker } from '../broker.js';
import { silentLogger } from '../logger.js';
import { NodeClient, UnsupportedVersionError } from '../net/node-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { AllocateProducerIds, AlterPartition, ApiVersions, BrokerHeartbeat, BrokerRegistration, DescribeCluster, IncrementalAlterConfigs, Metadata } from '../protocol/generated/index.js';
import { tmpDataDir } from '../../compat-tests/harness.js';
import { supportedFeatures } from '../metadata/broker-lifecycle.js';

const data = tmpDataDir('sluice-controller-apis-');
let broker: Broker;
let controller: NodeClient;
let client: NodeClient;
/** Broker 2's epoch, once it has registered. */
let epoch2 = -1n;
const OPTS = { host: '127.0.0.1', clientId: 'broker-2', requestTimeoutMs: 5000, connectTimeoutMs: 2000, reconnectBackoffMs: 50, inFlightMax: 5, responseBytesMax: 1 << 20 };

t.before(async () => {
  broker = await Broker.start({
    dataDir: data.dir,
    logger: silentLogger,
    overrides: ['listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0', 'controller.listener.names=CONTROLLER'],
  });
  controller = new NodeClient({ ...OPTS, port: broker.controllerPort });
  client = new NodeClient({ ...OPTS, port: broker.listenPort });
});
t.teardown(async () => {
  controller?.close();
  client?.close();
  await broker?.stop();
  data.remove();
});

const registration = (incarnation: number) => ({
  brokerId: 2,
  clusterId: broker.clusterId,
  incarnationId: Buffer.alloc(16, incarnation),
  listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19092, securityProtocol: 0 }],
  features: supportedFeatures(),
  rack: null,
  isMigratingZkBroker: false,
  logDirs: [Buffer.alloc(16, 7)],
  previousBrokerEpoch: -1n,
});

t.test('the controller listener serves the controller APIs; the client listener does not', async (t) => {
  t.not(broker.controllerPort, 0);
  t.not(broker.controllerPort, broker.listenPort);
  const onController = await controller.request(ApiVersions, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  const keys = onController.apiKeys.map((k) => k.apiKey).sort((a, b) => a - b);
  t.same(keys, [1, 17, 18, 19, 20, 30, 31, 33, 36, 37, 43, 44, 45, 46, 51, 56, 57, 62, 63, 67], "Fetch (of the metadata log), ApiVersions, the SASL ones (listed by Kafka's controller too), what broker-only nodes forward (CreateAcls, DeleteAcls, UpdateFeatures too), and the four broker-to-controller APIs");
  const onClients = await client.request(ApiVersions, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  t.notOk(onClients.apiKeys.some((k) => [56, 62, 63, 67].includes(k.apiKey)), 'no broker-to-controller API for clients');
  await t.rejects(controller.request(Metadata, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }), UnsupportedVersionError, 'no client API on the controller listener');
});

t.test('a broker registers, heartbeats until unfenced, and takes producer ids with its epoch', async (t) => {
  const wrongCluster = await controller.request(BrokerRegistration, { ...registration(1), clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  t.equal(wrongCluster.errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
  const reg = await controller.request(BrokerRegistration, registration(1));
  t.equal(reg.errorCode, ErrorCode.NONE);
  t.ok(reg.brokerEpoch >= 0n, `broker epoch ${reg.brokerEpoch}`);
  epoch2 = reg.brokerEpoch;
  const behind = await controller.request(BrokerHeartbeat, { brokerId: 2, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: -1n, wantFence: false, wantShutDown: false, offlineLogDirs: [] });
  t.same({ error: behind.errorCode, fenced: behind.isFenced }, { error: ErrorCode.NONE, fenced: true }, 'not caught up: fenced');
  const caughtUp = await controller.request(BrokerHeartbeat, { brokerId: 2, brokerEpoch: reg.brokerEpoch, currentMetadataOffset: reg.brokerEpoch + 100n, wantFence: false, wantShutDown: false, offlineLogDirs: [] });
  t.same({ error: caughtUp.errorCode, fenced: caughtUp.isFenced, caughtUp: caughtUp.isCaughtUp }, { error: ErrorCode.NONE, fenced: false, caughtUp: true }, 'caught up: unfenced');
  const dup = await controller.request(BrokerRegistration, registration(2));
  t.equal(dup.errorCode, ErrorCode.DUPLICATE_BROKER_REGISTRATION, 'another incarnation while the unfenced one lives (Kafka hasValidSession)');
  const stale = await controller.request(BrokerHeartbeat, { brokerId: 2, brokerEpoch: reg.brokerEpoch + 1n, currentMetadataOffset: 0n, wantFence: false, wantShutDown: false, offlineLogDirs: [] });
  t.equal(stale.errorCode, ErrorCode.STALE_BROKER_EPOCH);

  const ids = await controller.request(AllocateProducerIds, { brokerId: 2, brokerEpoch: reg.brokerEpoch });
  t.equal(ids.errorCode, ErrorCode.NONE);
  t.equal(ids.producerIdLen, 1000);
  const next = await controller.request(AllocateProducerIds, { brokerId: 2, brokerEpoch: reg.brokerEpoch });
  t.equal(next.producerIdStart, ids.producerIdStart + 1000n, 'blocks never overlap');
  const staleIds = await controller.request(AllocateProducerIds, { brokerId: 2, brokerEpoch: reg.brokerEpoch - 1n });
  t.equal(staleIds.errorCode, ErrorCode.STALE_BROKER_EPOCH);
});

t.test('AlterPartition: a stale broker epoch, then a topic the controller does not know', async (t) => {
  const ask = (brokerEpoch: bigint) =>
    controller.request(AlterPartition, {
      brokerId: 2,
      brokerEpoch,
      topics: [{ topicName: 'x', topicId: Buffer.alloc(16, 9), partitions: [{ partitionIndex: 0, leaderEpoch: 0, newIsr: [], newIsrWithEpochs: [{ brokerId: 2, brokerEpoch }], leaderRecoveryState: 0, partitionEpoch: 0 }] }],
    });
  t.equal((await ask(epoch2 + 5n)).errorCode, ErrorCode.STALE_BROKER_EPOCH);
  const res = await ask(epoch2);
  t.equal(res.errorCode, ErrorCode.NONE);
  t.equal(res.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
});

t.test('clients see the registered brokers: Metadata the unfenced ones, DescribeCluster the fenced ones when asked', async (t) => {
  // Broker 3 registers and stays fenced (no heartbeat); broker 2 is unfenced (the test above).
  const reg3 = await controller.request(BrokerRegistration, { ...registration(3), brokerId: 3, logDirs: [Buffer.alloc(16, 8)], listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19093, securityProtocol: 0 }] });
  t.equal(reg3.errorCode, ErrorCode.NONE);
  const md = await client.request(Metadata, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.same(
    md.brokers.map((b) => [b.nodeId, b.port]),
    [
      [broker.nodeId, broker.listenPort],
      [2, 19092],
    ],
    'this node and broker 2 at its PLAINTEXT endpoint; fenced broker 3 left out',
  );
  const all = await client.request(DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
  t.same(
    all.brokers.map((b) => [b.brokerId, b.isFenced]),
    [
      [broker.nodeId, false],
      [2, false],
      [3, true],
    ],
  );
  const unfencedOnly = await client.request(DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
  t.same(
    unfencedOnly.brokers.map((b) => b.brokerId),
    [broker.nodeId, 2],
  );
});

t.test("a broker resource of another broker: refused on the client listener (Kafka's check), taken on the controller listener (the forwarding broker checked it)", async (t) => {
  const body = (name: string) => ({
    resources: [{ resourceType: 4, resourceName: name, configs: [{ name: 'log.cleaner.threads', configOperation: 0, value: '2' }] }],
    validateOnly: true,
  });
  const onClient = await client.request(IncrementalAlterConfigs, body('7'));
  t.same(
    { code: onClient.responses[0]!.errorCode, message: onClient.responses[0]!.errorMessage },
    { code: ErrorCode.INVALID_REQUEST, message: `Unexpected broker id, expected ${broker.nodeId} or empty string, but received 7` },
  );
  t.equal((await controller.request(IncrementalAlterConfigs, body('7'))).responses[0]!.errorCode, ErrorCode.NONE);
  t.equal((await controller.request(IncrementalAlterConfigs, body('seven'))).responses[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'not a broker id');
});
