import t from 'tap';
import { gzipSync } from 'node:zlib';
import { ClientTelemetry, type TelemetryClient } from './client-metrics.js';
import { otlpMetricNames } from './otlp.js';
import { checkClientMetricsConfigs } from '../config/client-metrics.js';
import { limits } from '../config/limits.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Clock } from '../control/clock.js';

const ZERO = Buffer.alloc(16);

/** A clock that moves only when told; timers are not used by ClientTelemetry. */
function fakeClock(): Clock & { now: number } {
  const c = {
    virtual: true,
    now: 1_000_000,
    nowMs: () => c.now,
    setTimeout: () => null as never,
    setInterval: () => null as never,
    clearTimeout: () => {},
  };
  return c;
}

const JAVA: TelemetryClient = { clientId: 'app-1', clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '4.4.0', clientAddress: '127.0.0.1' };
const RDKAFKA: TelemetryClient = { clientId: 'rdkafka', clientSoftwareName: 'confluent-kafka-python', clientSoftwareVersion: '2.16.1', clientAddress: '127.0.0.1' };

function setup(subs: Record<string, Record<string, string>> = {}) {
  const clock = fakeClock();
  const configs = new Map(Object.entries(subs).map(([k, v]) => [k, new Map(Object.entries(v))]));
  let closers: Array<() => void> = [];
  const tel = new ClientTelemetry({ clock, subscriptions: () => configs, maxBytes: () => 100 });
  const onClose = (fn: () => void): (() => void) => {
    closers.push(fn);
    return () => (closers = closers.filter((f) => f !== fn));
  };
  const get = (client: TelemetryClient, id: Buffer = ZERO) => tel.getSubscriptions({ clientInstanceId: id }, client, onClose);
  const push = (client: TelemetryClient, body: { clientInstanceId: Buffer; subscriptionId: number; terminating?: boolean; compressionType?: number; metrics?: Buffer }) =>
    tel.push({ terminating: false, compressionType: 0, metrics: Buffer.alloc(0), ...body }, client, onClose).errorCode;
  const closeAll = (): void => {
    const fns = closers;
    closers = [];
    for (const f of fns) f();
  };
  return { clock, configs, tel, get, push, closeAll };
}

/** Protobuf: a length-delimited field. */
function field(no: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([(no << 3) | 2, ...len]), body]);
}

/** MetricsData with one resource, one scope and the metrics named (each with a varint field 4 to skip, and a gauge). */
function metricsData(names: string[]): Buffer {
  const metrics = names.map((n) => field(2, Buffer.concat([field(1, Buffer.from(n)), Buffer.from([0x20, 0x96, 0x01]), field(5, Buffer.alloc(3))])));
  return field(1, Buffer.concat([field(1, Buffer.from([0x0a, 0x00])), field(2, Buffer.concat([field(1, Buffer.alloc(0)), ...metrics]))]));
}

t.test('no subscription: no metrics, the 5-minute interval, a fresh instance id', async (t) => {
  const { get } = setup();
  const r = get(JAVA);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.notOk(r.clientInstanceId.equals(ZERO), 'an id is chosen');
  t.same(r.requestedMetrics, []);
  t.equal(r.pushIntervalMs, 300_000);
  t.same(r.acceptedCompressionTypes, [4, 3, 1, 2], 'zstd, lz4, gzip, snappy as Kafka lists them');
  t.equal(r.telemetryMaxBytes, 100);
  t.equal(r.deltaTemporality, true);
});

t.test('matching: every pattern must match the whole attribute; the shortest interval; * wins', async (t) => {
  const { get } = setup({
    java: { metrics: 'org.apache.kafka.producer.', 'interval.ms': '2000', match: 'client_software_name=apache-kafka-java,client_id=app-.*' },
    partial: { metrics: 'never.', match: 'client_id=app' },
    everyone: { metrics: 'org.apache.kafka.consumer.', 'interval.ms': '1000' },
  });
  const java = get(JAVA);
  t.same(java.requestedMetrics, ['org.apache.kafka.consumer.', 'org.apache.kafka.producer.']);
  t.equal(java.pushIntervalMs, 1000);
  const rd = get(RDKAFKA);
  t.same(rd.requestedMetrics, ['org.apache.kafka.consumer.'], 'the Java-only subscription does not match librdkafka');
  const all = setup({ a: { metrics: 'x.' }, b: { metrics: '*' } }).get(JAVA);
  t.same(all.requestedMetrics, ['*']);
});

t.test('GetTelemetrySubscriptions sooner than the interval is throttled; a subscription change is not', async (t) => {
  const { get, clock, configs } = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
  const first = get(JAVA);
  t.equal(get(JAVA, first.clientInstanceId).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  clock.now += 1000;
  t.equal(get(JAVA, first.clientInstanceId).errorCode, ErrorCode.NONE);
  configs.get('s')!.set('interval.ms', '2000');
  const changed = get(JAVA, first.clientInstanceId);
  t.equal(changed.errorCode, ErrorCode.NONE, 'answered at once after a change');
  t.equal(changed.pushIntervalMs, 2000);
  t.not(changed.subscriptionId, first.subscriptionId, 'a new subscription id');
});

t.test('PushTelemetry errors, in Kafka order', async (t) => {
  const { get, push, clock } = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
  const s = get(JAVA);
  const id = s.clientInstanceId;
  t.equal(push(JAVA, { clientInstanceId: ZERO, subscriptionId: s.subscriptionId }), ErrorCode.INVALID_REQUEST, 'zero id');
  t.equal(push(JAVA, { clientInstanceId: Buffer.from('00000000000000000000000000000001', 'hex'), subscriptionId: 1 }), ErrorCode.INVALID_REQUEST, 'reserved id');
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId }), ErrorCode.NONE, 'right after the get');
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId }), ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'too soon');
  clock.now += 1000;
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId + 1 }), ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
  clock.now += 1000;
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId, compressionType: 7 }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  clock.now += 1000;
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId, metrics: Buffer.alloc(101) }), ErrorCode.TELEMETRY_TOO_LARGE);
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId, terminating: true }), ErrorCode.NONE, 'a terminating push is taken even when too soon');
  t.equal(push(JAVA, { clientInstanceId: id, subscriptionId: s.subscriptionId }), ErrorCode.INVALID_REQUEST, 'nothing after a terminating push');
});

t.test('what a push carried is shown: size, compression, metric names (gzip-compressed OTLP)', async (t) => {
  const { get, push, tel } = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
  const s = get(JAVA);
  const payload = gzipSync(metricsData(['org.apache.kafka.producer.a', 'org.apache.kafka.producer.b']));
  t.equal(push(JAVA, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, compressionType: 1, metrics: payload }), ErrorCode.NONE);
  const [v] = tel.views();
  t.equal(v?.pushes, 1);
  t.equal(v?.lastCompression, 'gzip');
  t.equal(v?.lastPushBytes, payload.length);
  t.same(v?.lastMetricNames, ['org.apache.kafka.producer.a', 'org.apache.kafka.producer.b']);
  t.equal(v?.clientSoftwareName, 'apache-kafka-java');
});

t.test('a payload that would inflate past limits.telemetryDecompressedBytesMax is taken, its names not shown', async (t) => {
  const clock = fakeClock();
  const tel = new ClientTelemetry({ clock, subscriptions: () => new Map([['s', new Map([['metrics', '*']])]]), maxBytes: () => 1 << 20 });
  const s = tel.getSubscriptions({ clientInstanceId: ZERO }, JAVA, () => () => {});
  const bomb = gzipSync(Buffer.alloc(limits.telemetryDecompressedBytesMax + 1));
  t.ok(bomb.length < 1 << 20, `${bomb.length} bytes compressed`);
  const res = tel.push({ clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, terminating: false, compressionType: 1, metrics: bomb }, JAVA, () => () => {});
  t.equal(res.errorCode, ErrorCode.NONE);
  t.same(tel.views()[0]?.lastMetricNames, []);
});

t.test('a closed connection forgets the instance (Kafka does) but the inspector keeps its last view', async (t) => {
  const { get, tel, closeAll, push } = setup({ s: { metrics: '*', 'interval.ms': '1000' } });
  const s = get(JAVA);
  closeAll();
  const views = tel.views();
  t.equal(views.length, 1);
  t.equal(views[0]?.active, false);
  // A push with the old id now finds a fresh instance: its subscription id is computed the same way.
  t.equal(push(JAVA, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId }), ErrorCode.NONE);
});

t.test('instances idle past max(60 s, 3 intervals) expire', async (t) => {
  const { get, tel, clock } = setup();
  get(JAVA);
  clock.now += 899_999;
  get(RDKAFKA);
  t.equal(tel.views().filter((v) => v.active).length, 2, 'within 3 x 300 s');
  clock.now += 1;
  get(RDKAFKA);
  const active = tel.views().filter((v) => v.active);
  t.notOk(active.some((v) => v.clientSoftwareName === 'apache-kafka-java'), 'the Java instance expired');
});

t.test('OTLP walk: malformed payloads end with what was found, never throw', async (t) => {
  const good = metricsData(['m.one', 'm.two']);
  t.same(otlpMetricNames(good, 10), ['m.one', 'm.two']);
  t.same(otlpMetricNames(good, 1), ['m.one'], 'bounded');
  for (let cut = 0; cut < good.length; cut++) t.doesNotThrow(() => otlpMetricNames(good.subarray(0, cut), 10));
  t.same(otlpMetricNames(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 10), [], 'a length past the end');
  t.same(otlpMetricNames(Buffer.from([0x0b]), 10), [], 'a group wire type');
});

t.test('client metrics configs are checked as Kafka checks them', async (t) => {
  const check = (name: string, c: Record<string, string>) => checkClientMetricsConfigs(name, new Map(Object.entries(c)))?.errorCode ?? 0;
  t.equal(check('s', { metrics: 'a.,b.', 'interval.ms': '100', match: 'client_id=x.*' }), 0);
  t.equal(check('', { metrics: '*' }), ErrorCode.INVALID_REQUEST, 'empty name');
  t.equal(check('s', { nope: '1' }), ErrorCode.INVALID_REQUEST, 'unknown config');
  t.equal(check('s', { 'interval.ms': '3600001' }), ErrorCode.INVALID_REQUEST, 'interval too long');
  t.equal(check('s', { 'interval.ms': 'x' }), ErrorCode.INVALID_CONFIG, 'not an int');
  t.equal(check('s', { match: 'client_rack=a' }), ErrorCode.INVALID_CONFIG, 'unknown selector');
  t.equal(check('s', { match: 'client_id=(' }), ErrorCode.INVALID_CONFIG, 'bad regex');
  t.equal(check('s', { match: 'client_id=a=b' }), ErrorCode.INVALID_CONFIG, 'two =');
});
