/**
 * Several listeners on one broker: each is served, and Metadata, DescribeCluster and
 * FindCoordinator answer with the endpoints of the listener the client came in on (Kafka's rule),
 * advertised.listeners included.
 */
import t from 'tap';
import { Broker } from './broker.js';
import { silentLogger } from './logger.js';
import { DescribeCluster, FindCoordinator, Metadata } from './protocol/generated/index.js';
import { RawClient } from '../compat-tests/raw-client.js';
import { tmpDataDir } from '../compat-tests/harness.js';

t.test('each listener answers with its own endpoints', async (t) => {
  const dir = tmpDataDir('sluice-listeners-');
  const broker = await Broker.start({
    dataDir: dir.dir,
    logger: silentLogger,
    overrides: [
      'listeners=PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0,EXTERNAL://127.0.0.1:0',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
      'advertised.listeners=PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0,EXTERNAL://broker.example.com:19092',
    ],
  });
  t.teardown(async () => {
    await broker.stop();
    dir.remove();
  });
  const ports = broker.listenerPorts();
  t.same([...ports.keys()], ['PLAINTEXT', 'INTERNAL', 'EXTERNAL']);
  t.equal(new Set(ports.values()).size, 3, 'three ports bound');
  const expected: Record<string, { host: string; port: number }> = {
    PLAINTEXT: { host: '127.0.0.1', port: ports.get('PLAINTEXT')! },
    INTERNAL: { host: '127.0.0.1', port: ports.get('INTERNAL')! },
    EXTERNAL: { host: 'broker.example.com', port: 19092 },
  };
  for (const [name, port] of ports) {
    const c = await RawClient.connect(port);
    t.teardown(() => c.close());
    const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    t.same(md.brokers.map((b) => ({ host: b.host, port: b.port })), [expected[name]], `Metadata on ${name}`);
    const dc = await c.request(DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
    t.same(dc.brokers.map((b) => ({ host: b.host, port: b.port })), [expected[name]], `DescribeCluster on ${name}`);
    const fc = await c.request(FindCoordinator, 3, { key: 'g', keyType: 0, coordinatorKeys: [] });
    if (fc.errorCode === 0) t.same({ host: fc.host, port: fc.port }, expected[name], `FindCoordinator on ${name}`);
  }
});
