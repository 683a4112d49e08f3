/**
 * Client telemetry (KIP-714) with real clients against a `sluice start` process: the Java client
 * 4.x (the driver sets a CLIENT_METRICS subscription with its admin client, then a producer with
 * telemetry on, the default, runs and closes) and confluent-kafka-python (librdkafka 2.16, whose
 * `enable.metrics.push` is on by default too; the subscription is set over the wire first). What
 * they pushed is read from the admin endpoint's GET /telemetry: the client instance, its
 * subscription, the pushes, and the metric names decoded from the OTLP payloads.
 */
import t from 'tap';
import { spawnBroker, stopBroker, tmpDataDir } from './harness.js';
import { RawClient } from './raw-client.js';
import { confluentNewestDriver, javaDriver } from './client-drivers.js';
import { driverRun } from './newest-clients.js';
import { IncrementalAlterConfigs } from '../src/protocol/generated/index.js';
import type { ClientInstanceView } from '../src/telemetry/client-metrics.js';

const data = tmpDataDir('sluice-telemetry-');
const broker = await spawnBroker({ dataDir: data.dir, admin: true });
t.teardown(async () => {
  await stopBroker(broker);
  data.remove();
});

async function telemetry(): Promise<ClientInstanceView[]> {
  const res = await fetch(`${broker.adminUrl}/telemetry`);
  return (await res.json()) as ClientInstanceView[];
}

/** Kafka's Uuid.toString (base64url, no padding) in the inspector's 8-4-4-4-12 form. */
function uuidForm(base64: string): string {
  const h = Buffer.from(base64, 'base64url').toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

t.test('the Java producer pushes its metrics to the subscription its admin client set', async (t) => {
  javaDriver.check();
  const rows = await driverRun(javaDriver, ['telemetry', broker.bootstrap, 'tel-java', 'sluice-java', '3000']);
  t.same(rows.find((r) => r.step === 'subscribed'), { step: 'subscribed', metrics: 'org.apache.kafka.producer.', 'interval.ms': '500' }, 'the subscription is set and described through the Java admin client');
  t.same(rows.find((r) => r.step === 'listed'), { step: 'listed', names: ['sluice-java'] }, 'and listed by ListConfigResources');
  const id = rows.find((r) => r.step === 'instance')?.id;
  t.type(id, 'string', 'the producer got a client instance id from GetTelemetrySubscriptions');
  t.ok(Number(rows.find((r) => r.step === 'closed')?.sent) > 0, 'records were sent');
  const mine = (await telemetry()).find((v) => v.clientInstanceId === uuidForm(String(id)));
  t.ok(mine, 'the broker knows the producer instance');
  if (!mine) return;
  t.equal(mine.clientSoftwareName, 'apache-kafka-java');
  t.same(mine.requestedMetrics, ['org.apache.kafka.producer.']);
  t.equal(mine.pushIntervalMs, 500);
  // 3 s at 500 ms, jittered 0.5-1.5x. (The Java producer 4.4.0 closes without a terminating push
  // here; librdkafka sends one.)
  t.ok(mine.pushes >= 3, `${mine.pushes} pushes accepted`);
  t.equal(mine.lastError, 0, 'no push was refused last');
  t.equal(mine.active, false, 'forgotten once its connection closed, as Kafka forgets it; still shown');
  t.ok(mine.lastCompression !== null, `compressed with ${mine.lastCompression}`);
  t.ok(mine.lastMetricNames.length > 0, `${mine.lastMetricNames.length} metric names decoded, e.g. ${mine.lastMetricNames.slice(0, 3).join(', ')}`);
  t.ok(mine.lastMetricNames.every((n) => n.startsWith('org.apache.kafka.producer.')), 'only the subscribed metrics were pushed');
});

t.test('confluent-kafka-python (librdkafka) pushes its metrics', async (t) => {
  confluentNewestDriver.check();
  const c = await RawClient.connect(broker.port);
  try {
    const res = await c.request(IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 16, resourceName: 'sluice-librdkafka', configs: [
        { name: 'metrics', configOperation: 0, value: '*' },
        { name: 'interval.ms', configOperation: 0, value: '500' },
        { name: 'match', configOperation: 0, value: 'client_software_name=confluent-kafka-python' },
      ] }],
      validateOnly: false,
    });
    t.equal(res.responses[0]!.errorCode, 0, 'subscription set');
  } finally {
    c.close();
  }
  const rows = await driverRun(confluentNewestDriver, ['telemetry', broker.bootstrap, 'tel-ck', '3000']);
  t.ok(Number(rows.find((r) => r.step === 'closed')?.sent) > 0, 'records were sent');
  const mine = (await telemetry()).filter((v) => v.clientSoftwareName === 'confluent-kafka-python' && v.pushes > 0);
  t.ok(mine.length > 0, `the broker took pushes from librdkafka (${mine.length} instance(s))`);
  const v = mine[mine.length - 1];
  if (!v) return;
  t.same(v.requestedMetrics, ['*'], 'librdkafka matched the subscription naming its software');
  t.equal(v.pushIntervalMs, 500);
  t.ok(v.pushes >= 2, `${v.pushes} pushes accepted`);
  t.equal(v.terminating, true, 'its last push said it was closing');
  t.equal(v.lastCompression, 'zstd', 'compressed with the first codec the broker accepts');
  t.ok(v.lastMetricNames.length > 0, `${v.lastMetricNames.length} metric names decoded, e.g. ${v.lastMetricNames.slice(0, 3).join(', ')}`);
});
