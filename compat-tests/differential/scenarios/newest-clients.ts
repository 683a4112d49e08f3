/**
 * The newest clients (the Java client, franz-go, confluent-kafka-python and kafka-python from
 * PyPI) driving both brokers through their drivers (compat-tests/client-drivers.ts), the drivers'
 * output compared: admin, produce with two codecs (zstd and one other per client, so the four
 * cover all five), reading back by assignment, and three transactions read at both isolation
 * levels.
 */
import type { Scenario } from '../framework.js';
import { confluentNewestDriver, franzDriver, javaDriver, kafkaPythonNewestDriver } from '../../client-drivers.js';
import { CODECS, driverRun, makeRecords, readRecords } from '../../newest-clients.js';
import { createTopic } from './util.js';

const DRIVERS = [javaDriver, franzDriver, confluentNewestDriver, kafkaPythonNewestDriver];
const RECORDS = 12;

export const newestClients: Scenario[] = DRIVERS.map((d, i) => ({
  name: `newest-${d.name}`,
  async run(t, see) {
    d.check();
    const base = `newest-${d.name}`;
    see.see('admin', await driverRun(d, ['admin', t.bootstrap, `${base}-admin`]));
    see.code('create', await createTopic(t, base, 2));
    const codecs = [CODECS[i % CODECS.length]!, 'zstd'];
    for (const codec of codecs) {
      const records = makeRecords(`${d.name}-${codec}`, RECORDS, 2);
      see.see(`produce/${codec}`, await driverRun(d, ['produce', t.bootstrap, base, codec, codec === 'zstd' ? '1' : '0'], records.map((r) => JSON.stringify(r)).join('\n') + '\n'));
    }
    see.see('read', readRecords(await driverRun(d, ['read', t.bootstrap, base, '2', 'read_uncommitted', String(RECORDS * codecs.length)])));
    see.code('create-txn', await createTopic(t, `${base}-txn`, 2));
    see.see('txn', await driverRun(d, ['txn', t.bootstrap, `${base}-txn`, `${base}-tx`]));
    see.see('txn/read-committed', readRecords(await driverRun(d, ['read', t.bootstrap, `${base}-txn`, '2', 'read_committed', '12'])));
    see.see('txn/read-uncommitted', readRecords(await driverRun(d, ['read', t.bootstrap, `${base}-txn`, '2', 'read_uncommitted', '18'])));
  },
}));
