/**
 * The newest clients' suite (newest-clients.ts: admin, every codec, idempotent and transactional
 * producers, consumer groups with committed offsets) against a 3-broker Sluice cluster
 * (startCluster: a combined node and two broker-only nodes, each its own process, with
 * default.replication.factor=3 and min.insync.replicas=2). Clients bootstrap at the first node and
 * reach the partitions' leaders and their group and transaction coordinators on all three; a
 * transaction's markers cross brokers (WriteTxnMarkers).
 */
import t from 'tap';
import { confluentNewestDriver, franzDriver, javaDriver, kafkaPythonNewestDriver } from './client-drivers.js';
import { clientSuite } from './newest-clients.js';

for (const d of [javaDriver, confluentNewestDriver, kafkaPythonNewestDriver, franzDriver]) {
  t.test(`${d.label} on a 3-broker cluster`, (t) => clientSuite(t, d, 'cluster'));
}
