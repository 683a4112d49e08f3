import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadBrokerConfig, parseProperties } from './broker-config.js';
import { checkLimits, limits } from './limits.js';

t.test('properties: separators, comments, continuations, escapes', async (t) => {
  const p = parseProperties('# c\n! c2\na=1\nb : 2\nc 3\nd=x\\\n  y\ne=tab\\there\n\n', 'x');
  t.same([...p], [['a', '1'], ['b', '2'], ['c', '3'], ['d', 'xy'], ['e', 'tab\there']]);
});

t.test('a stock Kafka KRaft server.properties loads unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'server.properties');
  writeFileSync(file, [
    'process.roles=broker,controller',
    'node.id=1',
    'controller.quorum.bootstrap.servers=localhost:9093',
    'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
    'inter.broker.listener.name=PLAINTEXT',
    'advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'num.network.threads=3',
    'num.io.threads=8',
    'socket.send.buffer.bytes=102400',
    'socket.receive.buffer.bytes=102400',
    'socket.request.max.bytes=104857600',
    `log.dirs=${join(dir, 'logs')}`,
    'num.partitions=1',
    'num.recovery.threads.per.data.dir=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'log.retention.hours=168',
    'log.segment.bytes=1073741824',
    'log.retention.check.interval.ms=300000',
  ].join('\n'));
  const cfg = loadBrokerConfig({ configFile: file });
  t.same([cfg.listener.host, cfg.listener.port], ['', 9092], 'the PLAINTEXT listener, not the controller one');
  t.same([cfg.advertised.host, cfg.advertised.port], ['localhost', 9092]);
  t.equal(cfg.dataDir, join(dir, 'logs'));
  t.equal(cfg.topicDefault('retention.ms').value, '604800000', 'log.retention.hours=168 in ms');
});

t.test('overrides win over the file; topic defaults follow broker synonyms', async (t) => {
  const cfg = loadBrokerConfig({ overrides: ['log.roll.hours=2', 'num.partitions=4', 'log.retention.minutes=5'] });
  t.equal(cfg.numPartitions, 4);
  t.same(cfg.topicDefault('segment.ms'), { value: '7200000', source: 'static', synonym: 'log.roll.hours' });
  t.equal(cfg.topicDefault('retention.ms').value, '300000');
  t.same(cfg.topicDefault('cleanup.policy'), { value: 'delete', source: 'default' });
});

t.test('bad keys, values, listeners and files are ConfigErrors that say what to fix', async (t) => {
  t.throws(() => loadBrokerConfig({ overrides: ['no.such.key=1'] }), new ConfigError('unknown config "no.such.key"; see the README for the properties Sluice supports'));
  t.throws(() => loadBrokerConfig({ overrides: ['num.partitions=zero'] }), /num.partitions=zero: Not a number of type INT/);
  t.throws(() => loadBrokerConfig({ overrides: ['num.partitions=0'] }), /must be at least 1/);
  t.throws(() => loadBrokerConfig({ overrides: ['auto.create.topics.enable=yes'] }), /Expected value to be either true or false/);
  t.throws(() => loadBrokerConfig({ overrides: ['listeners=localhost:9092'] }), /expected NAME:\/\/host:port/);
  t.throws(() => loadBrokerConfig({ overrides: ['nonsense'] }), /expected key=value/);
  t.throws(() => loadBrokerConfig({ configFile: '/nonexistent/server.properties' }), /cannot read config file/);
});

t.test('limits are consistent', async (t) => {
  t.doesNotThrow(() => checkLimits());
  t.throws(() => checkLimits({ ...limits, fetchResponseBytesMax: limits.pendingResponseBytesPerConnection + 1 }), /inconsistent limits/);
  t.throws(() => checkLimits({ ...limits, pendingResponseBytesPerConnection: limits.pendingResponseBytesTotal + 1 }), /more response bytes than all connections/);
  t.throws(() => checkLimits({ ...limits, queuedRequestBytesMax: limits.socketRequestMaxBytes - 1 }), /largest frame must fit/);
});

t.test('connection configs: Kafka names and defaults, bounded by limits.ts', async (t) => {
  const net = loadBrokerConfig().net;
  t.same(
    { ...net, maxConnectionsPerIpOverrides: [...net.maxConnectionsPerIpOverrides] },
    { requestMaxBytes: 104857600, maxConnections: limits.connectionsMax, maxConnectionsPerIp: 2147483647, maxConnectionsPerIpOverrides: [], idleMs: 600000, queuedRequestBytesMax: 268435456 },
  );
  const set = loadBrokerConfig({ overrides: ['max.connections.per.ip.overrides=host-a:5, ::1:7 ,10.0.0.1:0', 'connections.max.idle.ms=-1', 'max.connections=20'] }).net;
  t.same([...set.maxConnectionsPerIpOverrides], [['host-a', 5], ['::1', 7], ['10.0.0.1', 0]], 'split at the last colon, as Kafka does');
  t.equal(set.idleMs, null, 'negative: idle connections are never closed');
  t.equal(set.maxConnections, 20);
  for (const bad of ['host', 'host:', ':5', 'host:-1', 'host:x', 'bad host:1', 'h:99999999999']) {
    t.throws(() => loadBrokerConfig({ overrides: [`max.connections.per.ip.overrides=${bad}`] }), /is not host:count/, bad);
  }
  t.throws(() => loadBrokerConfig({ overrides: ['queued.max.request.bytes=1000', 'socket.request.max.bytes=2000'] }), /must be at least socket.request.max.bytes=2000/);
  // Kafka's default, -1 (unbounded), as a production server.properties may spell it out: our bound.
  t.equal(loadBrokerConfig({ overrides: ['queued.max.request.bytes=-1'] }).net.queuedRequestBytesMax, 256 * 1024 * 1024);
  t.throws(() => loadBrokerConfig({ overrides: ['max.connections.per.ip=0'] }), /can be 0 only when/);
  t.doesNotThrow(() => loadBrokerConfig({ overrides: ['max.connections.per.ip=0', 'max.connections.per.ip.overrides=127.0.0.1:3'] }));
});
