/**
 * KRaft roles, listeners and quorum settings (kraft.ts through loadBrokerConfig). Each refusal
 * here is one Kafka 4.1.1 refuses too: the same properties were given to Kafka's own KafkaConfig
 * (and, where it checks only when starting, to a running Kafka) and it refused them; the tests
 * named "Sluice ..." are where Sluice deliberately differs (kraft.ts says why).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError, listenersWithClientAddress, loadBrokerConfig, type BrokerConfig } from './broker-config.js';
import { kafkaList, parseBootstrapServers, parseSecurityProtocolMap, parseVoters } from './kraft.js';

type Props = Record<string, string | null>;

const COMBINED: Props = {
  'process.roles': 'broker,controller',
  'node.id': '1',
  'controller.quorum.voters': '1@127.0.0.1:9093',
  listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
  'controller.listener.names': 'CONTROLLER',
};
const BROKER: Props = {
  'process.roles': 'broker',
  'node.id': '4',
  'controller.quorum.voters': '1@127.0.0.1:9093',
  listeners: 'PLAINTEXT://127.0.0.1:9092',
  'controller.listener.names': 'CONTROLLER',
};
const CONTROLLER: Props = {
  'process.roles': 'controller',
  'node.id': '1',
  'controller.quorum.voters': '1@127.0.0.1:9093',
  listeners: 'CONTROLLER://127.0.0.1:9093',
  'controller.listener.names': 'CONTROLLER',
};

/** Loads `base` changed by `change` (null removes a property), with a throwaway log.dirs. */
function load(base: Props, change: Props = {}): BrokerConfig {
  const properties: Record<string, string> = { 'log.dirs': join(tmpdir(), 'sluice-kraft-config-unused') };
  for (const [k, v] of Object.entries({ ...base, ...change })) if (v !== null) properties[k] = v;
  return loadBrokerConfig({ properties });
}

function refused(t: Test, base: Props, change: Props, message: RegExp, name = JSON.stringify(change)): void {
  t.throws(() => load(base, change), message, name);
  try {
    load(base, change);
  } catch (e) {
    t.ok(e instanceof ConfigError, 'a ConfigError');
    t.notMatch((e as Error).message, /\n/, 'one line');
  }
}

t.test('the default node: combined, one client listener, its own in-process controller (as before)', async (t) => {
  const cfg = loadBrokerConfig({ properties: { 'log.dirs': join(tmpdir(), 'x') } });
  t.same([...cfg.roles], ['broker', 'controller']);
  t.same(cfg.listeners, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
  t.same(cfg.listener, { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 });
  t.same(cfg.advertised, cfg.listener);
  t.same(cfg.controllerListenerNames, []);
  t.same(cfg.advertisedControllerListeners, []);
  t.equal(cfg.interBrokerListenerName, 'PLAINTEXT');
  t.equal(cfg.quorum.origin, 'in-process');
  t.same(cfg.quorum.voters, []);
  t.same(cfg.quorum.bootstrapServers, []);
});

t.test('Sluice: a combined node with a controller listener and no quorum setting is its only voter', async (t) => {
  const cfg = load(COMBINED, { 'controller.quorum.voters': null, 'node.id': '7', 'advertised.listeners': 'PLAINTEXT://broker-7:9092,CONTROLLER://broker-7:9093' });
  t.equal(cfg.quorum.origin, 'self');
  t.same(cfg.quorum.voters, [{ id: 7, host: 'broker-7', port: 9093 }], 'itself, where others reach its controller listener');
  // Kafka refuses this (neither controller.quorum.voters nor .bootstrap.servers); Sluice's default.
  refused(t, COMBINED, { 'controller.quorum.voters': null, 'controller.listener.names': 'CONTROLLER,CTRL' }, /controller.listener.names: CTRL is not in listeners/);
});

t.test('process.roles: broker, controller or both, each once, nothing else', async (t) => {
  t.same([...load(COMBINED, { 'process.roles': ' controller , broker ' }).roles].sort(), ['broker', 'controller'], 'spaces around commas');
  refused(t, COMBINED, { 'process.roles': 'broker,zk' }, /process.roles=broker,zk: unknown value zk; allowed: broker, controller/);
  refused(t, COMBINED, { 'process.roles': 'Broker,controller' }, /unknown value Broker/, 'case matters, as in Kafka');
  refused(t, COMBINED, { 'process.roles': 'broker,broker' }, /process.roles: "broker" is listed twice/);
  refused(t, COMBINED, { 'process.roles': 'broker,' }, /process.roles: "broker," has an empty entry/);
  // Kafka's KafkaConfig accepts an empty list and the process then serves nothing; Sluice says so.
  refused(t, COMBINED, { 'process.roles': '' }, /process.roles is empty; set it to broker, controller or broker,controller/);
});

t.test('node.id: at least 0; broker.id, when set, must be the same', async (t) => {
  refused(t, COMBINED, { 'node.id': '-1' }, /node.id=-1: Value must be at least 0/);
  refused(t, COMBINED, { 'node.id': '3000000000' }, /Not a number of type INT/);
  refused(t, COMBINED, { 'broker.id': '2' }, /broker.id=2 differs from node.id=1; remove broker.id or give both the same value/);
  t.equal(load(COMBINED, { 'broker.id': '1' }).nodeId, 1);
});

t.test('a broker or controller alone needs controller.quorum.voters or controller.quorum.bootstrap.servers', async (t) => {
  refused(t, BROKER, { 'controller.quorum.voters': null }, /process.roles=broker: the broker must find the controllers; set controller.quorum.voters .* or controller.quorum.bootstrap.servers/);
  refused(t, CONTROLLER, { 'controller.quorum.voters': null }, /process.roles=controller: set controller.quorum.voters/);
  t.equal(load(BROKER, { 'controller.quorum.voters': null, 'controller.quorum.bootstrap.servers': '127.0.0.1:9093' }).quorum.origin, 'bootstrap');
  t.equal(load(CONTROLLER, { 'controller.quorum.voters': null, 'controller.quorum.bootstrap.servers': '127.0.0.1:9093' }).quorum.origin, 'bootstrap');
  // Kafka accepts both: the voters are the static voter set, the bootstrap servers where it asks first.
  const both = load(COMBINED, { 'controller.quorum.bootstrap.servers': 'c1:9093' });
  t.equal(both.quorum.origin, 'voters');
  t.same(both.quorum.bootstrapServers, [{ host: 'c1', port: 9093 }]);
});

t.test('controller.quorum.voters: id@host:port, Kafka\'s format', async (t) => {
  t.same(parseVoters(' 1@c1:9093 , 2@[::1]:9094,3@::1:9095 ,4@10.0.0.4:1'), [
    { id: 1, host: 'c1', port: 9093 },
    { id: 2, host: '::1', port: 9094 },
    { id: 3, host: '::1', port: 9095 },
    { id: 4, host: '10.0.0.4', port: 1 },
  ]);
  t.same(parseVoters(''), []);
  refused(t, COMBINED, { 'controller.quorum.voters': '1-127.0.0.1:9093' }, /"1-127.0.0.1:9093" is not id@host:port/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@2@127.0.0.1:9093' }, /is not id@host:port/);
  refused(t, COMBINED, { 'controller.quorum.voters': 'x@127.0.0.1:9093' }, /voter id "x" .* is not a number/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@127.0.0.1' }, /cannot read the host and port of "1@127.0.0.1"/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@bad host:9093' }, /cannot read the host and port/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@127.0.0.1:9093x' }, /cannot read the host and port/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@127.0.0.1:70000' }, /port 70000 .* out of range/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@127.0.0.1:9093,' }, /has an empty entry/);
  // Kafka checks this one when the quorum starts ("not routeable") and exits.
  refused(t, COMBINED, { 'controller.quorum.voters': '1@0.0.0.0:9093' }, /0.0.0.0 is not an address others can connect to/);
});

t.test('Sluice: voter ids are node ids, each once, and every voter has a host', async (t) => {
  // Kafka keeps the last of a repeated id (the node then cannot register), takes -1 and an empty
  // host at start and fails later; Sluice refuses them up front.
  refused(t, COMBINED, { 'controller.quorum.voters': '1@127.0.0.1:9093,1@127.0.0.1:9094' }, /voter id 1 is listed twice/);
  refused(t, COMBINED, { 'controller.quorum.voters': '-1@h:1,1@127.0.0.1:9093' }, /voter id -1 .* is negative/);
  refused(t, COMBINED, { 'controller.quorum.voters': '1@:9093' }, /cannot read the host and port of "1@:9093"/);
});

t.test('controller.quorum.bootstrap.servers: host:port, Kafka\'s format', async (t) => {
  t.same(parseBootstrapServers('c1:9093, [::1]:9094'), [{ host: 'c1', port: 9093 }, { host: '::1', port: 9094 }]);
  refused(t, BROKER, { 'controller.quorum.voters': null, 'controller.quorum.bootstrap.servers': '127.0.0.1' }, /controller.quorum.bootstrap.servers: cannot read the host and port of "127.0.0.1"/);
  refused(t, BROKER, { 'controller.quorum.voters': null, 'controller.quorum.bootstrap.servers': 'a b:1' }, /cannot read the host and port/);
  refused(t, BROKER, { 'controller.quorum.voters': null, 'controller.quorum.bootstrap.servers': '1@h:9093' }, /cannot read the host and port of "1@h:9093"/);
});

t.test('a controller must be one of the voters; a broker alone must not be', async (t) => {
  refused(t, COMBINED, { 'controller.quorum.voters': '2@127.0.0.1:9093' }, /node.id 1 is not in controller.quorum.voters \(ids 2\); .* add 1@host:port/);
  refused(t, CONTROLLER, { 'node.id': '5' }, /node.id 5 is not in controller.quorum.voters/);
  refused(t, BROKER, { 'node.id': '1' }, /process.roles=broker: node.id 1 is in controller.quorum.voters/);
  // With bootstrap servers only, the voters are learnt from the quorum: nothing to check here.
  t.equal(load(CONTROLLER, { 'node.id': '5', 'controller.quorum.voters': null, 'controller.quorum.bootstrap.servers': 'c1:9093' }).nodeId, 5);
});

t.test('the controller role needs controller.listener.names and a listener of each name', async (t) => {
  refused(t, COMBINED, { 'controller.listener.names': null }, /listeners: listener CONTROLLER has no security protocol; .* name it in controller.listener.names/);
  refused(t, CONTROLLER, { 'controller.listener.names': null }, /listener CONTROLLER has no security protocol/);
  refused(t, COMBINED, { 'controller.listener.names': 'CONTROLLER,CTRL' }, /controller.listener.names: CTRL is not in listeners; .*,CTRL:\/\/127.0.0.1:9093/);
  refused(t, CONTROLLER, { 'controller.listener.names': 'CONTROLLER,C2' }, /controller.listener.names: C2 is not in listeners/);
  refused(t, COMBINED, { 'controller.listener.names': 'CTRL' }, /listener CONTROLLER has no security protocol/);
  // Listener names are upper-cased, controller.listener.names is taken as written (as in Kafka).
  refused(t, COMBINED, { 'controller.listener.names': 'controller' }, /listener CONTROLLER has no security protocol/);
  refused(t, COMBINED, { listeners: 'PLAINTEXT://127.0.0.1:9092' }, /the controller role needs a controller listener/);
  const lower = load(COMBINED, { listeners: 'plaintext://127.0.0.1:9092,controller://127.0.0.1:9093' });
  t.same(lower.listeners.map((l) => l.name), ['PLAINTEXT', 'CONTROLLER'], 'listener names are upper-cased');
  const two = load(COMBINED, { 'controller.listener.names': 'C2, CONTROLLER', listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,C2://127.0.0.1:9095' });
  t.same(two.advertisedControllerListeners.map((l) => l.name), ['C2', 'CONTROLLER'], 'in controller.listener.names order');
});

t.test('a controller alone listens only on controller listeners', async (t) => {
  refused(t, CONTROLLER, { listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093' }, /process.roles=controller: listeners may hold only the controller listeners .* remove PLAINTEXT or add the broker role/);
  refused(t, CONTROLLER, { listeners: 'CONTROLLER://127.0.0.1:9093,C2://127.0.0.1:9095', 'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,C2:PLAINTEXT' }, /remove C2/);
  const c = load(CONTROLLER, { 'advertised.listeners': 'CONTROLLER://c1.example:9093' });
  t.same(c.listener, { name: 'CONTROLLER', host: '127.0.0.1', port: 9093 }, 'its listener is the controller listener');
  t.same(c.advertisedControllerListeners, [{ name: 'CONTROLLER', host: 'c1.example', port: 9093, securityProtocol: 'PLAINTEXT' }]);
  t.same([...c.advertisedListeners], [], 'nothing advertised to clients');
  t.doesNotThrow(() => load(CONTROLLER, { listeners: 'CONTROLLER://0.0.0.0:9093' }), 'binding all interfaces is fine');
  t.doesNotThrow(() => load(CONTROLLER, { 'inter.broker.listener.name': 'PLAINTEXT' }), 'inter.broker.listener.name is not checked on a controller');
});

t.test('a broker alone: controller.listener.names set, mapped to a protocol, and not among its listeners', async (t) => {
  refused(t, BROKER, { 'controller.listener.names': null }, /process.roles=broker: set controller.listener.names/);
  refused(t, BROKER, { listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093' }, /process.roles=broker: listeners must not include the controller listener CONTROLLER/);
  refused(t, BROKER, { 'controller.listener.names': 'CTRL', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT' }, /controller.listener.names: CTRL has no security protocol; add CTRL:PLAINTEXT/);
  refused(t, BROKER, { 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT' }, /CONTROLLER has no security protocol/, 'an explicit map must name the controller listener');
  refused(t, BROKER, { listeners: 'SSL://127.0.0.1:9092', 'security.inter.broker.protocol': 'SSL' }, /CONTROLLER has no security protocol/, 'no PLAINTEXT default when SSL is in use');
  const b = load(BROKER, { 'controller.listener.names': 'CONTROLLER,C2' });
  t.same(b.controllerListenerNames, ['CONTROLLER', 'C2'], 'it connects with the first');
  t.equal(b.securityProtocolMap.get('CONTROLLER'), 'PLAINTEXT');
  t.equal(b.quorum.origin, 'voters');
  t.same(b.quorum.voters, [{ id: 1, host: '127.0.0.1', port: 9093 }]);
});

t.test('a broker needs a broker listener, advertised, among its listeners', async (t) => {
  refused(t, COMBINED, { listeners: 'CONTROLLER://127.0.0.1:9093' }, /there is no broker listener; every listener is a controller listener/);
  refused(t, BROKER, { listeners: '' }, /there is no broker listener/);
  refused(t, BROKER, { 'advertised.listeners': 'CONTROLLER://h:9093' }, /there is no broker listener in advertised.listeners/);
  refused(t, BROKER, { 'advertised.listeners': '' }, /there is no broker listener in advertised.listeners/);
  refused(t, COMBINED, { 'advertised.listeners': 'CONTROLLER://h:9093' }, /there is no broker listener in advertised.listeners/);
  refused(
    t,
    BROKER,
    { 'advertised.listeners': 'PLAINTEXT://h:9092,OTHER://h:1', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT,CONTROLLER:PLAINTEXT' },
    /advertised.listeners: OTHER is not in listeners \(PLAINTEXT\)/,
  );
  refused(t, BROKER, { 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' }, /advertised.listeners: PLAINTEXT:\/\/0.0.0.0:9092 cannot be connected to/);
  refused(t, CONTROLLER, { 'advertised.listeners': 'CONTROLLER://0.0.0.0:9093' }, /CONTROLLER:\/\/0.0.0.0:9093 cannot be connected to/);
  refused(t, BROKER, { 'advertised.listeners': 'PLAINTEXT://h:9092,PLAINTEXT://g:9092' }, /advertised.listeners: listener name PLAINTEXT is used twice/);
  refused(t, BROKER, { 'advertised.listeners': 'PLAINTEXT//h:9092' }, /advertised.listeners: "PLAINTEXT\/\/h:9092" is not a listener/);
});

t.test('advertised listeners: by name, controller listeners apart, the listener itself when not advertised', async (t) => {
  const c = load(COMBINED, { 'advertised.listeners': 'plaintext://broker-1:19092,CONTROLLER://broker-1:19093' });
  t.same([...c.advertisedListeners.keys()], ['PLAINTEXT'], 'a controller listener is never advertised to clients');
  t.same(c.advertised, { name: 'PLAINTEXT', host: 'broker-1', port: 19092 });
  t.same(c.advertisedControllerListeners.map((l) => [l.host, l.port]), [['broker-1', 19093]]);
  const plain = load(COMBINED);
  t.same(plain.advertised, { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }, 'without advertised.listeners, the listener');
  t.same(plain.advertisedControllerListeners.map((l) => [l.host, l.port]), [['127.0.0.1', 9093]]);
  const onlyClient = load(COMBINED, { 'advertised.listeners': 'PLAINTEXT://b1:9092' });
  t.same(onlyClient.advertisedControllerListeners.map((l) => [l.host, l.port]), [['127.0.0.1', 9093]], 'an unadvertised controller listener as it listens');
  t.same(load(BROKER, { 'advertised.listeners': 'PLAINTEXT://:9092' }).advertised, { name: 'PLAINTEXT', host: '', port: 9092 });
});

t.test('Sluice: a broker listening on 0.0.0.0 without advertised.listeners starts (advertised as 127.0.0.1)', async (t) => {
  // Kafka refuses this (0.0.0.0 would be advertised); the broker advertises 127.0.0.1 instead.
  t.equal(load(BROKER, { listeners: 'PLAINTEXT://0.0.0.0:9092' }).advertised.host, '0.0.0.0');
});

t.test('inter.broker.listener.name or security.inter.broker.protocol, never both; an advertised broker listener', async (t) => {
  refused(t, BROKER, { 'inter.broker.listener.name': 'PLAINTEXT', 'security.inter.broker.protocol': 'PLAINTEXT' }, /set only one of inter.broker.listener.name and security.inter.broker.protocol/);
  refused(t, BROKER, { 'inter.broker.listener.name': 'OTHER' }, /inter.broker.listener.name: listener OTHER has no security protocol/);
  refused(t, BROKER, { 'security.inter.broker.protocol': 'SSL' }, /inter.broker.listener.name is SSL, which is not an advertised broker listener \(PLAINTEXT\)/);
  refused(t, BROKER, { 'security.inter.broker.protocol': 'FOO' }, /security.inter.broker.protocol=FOO: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
  refused(t, BROKER, { listeners: 'INTERNAL://127.0.0.1:9092', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT' }, /inter.broker.listener.name is PLAINTEXT, which is not an advertised broker listener \(INTERNAL\)/);
  refused(t, COMBINED, { 'inter.broker.listener.name': 'CONTROLLER' }, /inter.broker.listener.name is CONTROLLER, which is not an advertised broker listener/);
  t.equal(load(BROKER, { 'inter.broker.listener.name': 'plaintext' }).interBrokerListenerName, 'PLAINTEXT');
  const internal = load(BROKER, { listeners: 'INTERNAL://127.0.0.1:9092', 'inter.broker.listener.name': 'INTERNAL', 'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT' });
  t.equal(internal.interBrokerListenerName, 'INTERNAL');
  t.equal(internal.listeners[0]!.securityProtocol, 'SASL_PLAINTEXT');
});

t.test('listener.security.protocol.map: Kafka\'s default, NAME:PROTOCOL pairs, KRaft\'s CONTROLLER:PLAINTEXT', async (t) => {
  const d = load(COMBINED);
  t.same(Object.fromEntries(d.securityProtocolMap), { SASL_SSL: 'SASL_SSL', PLAINTEXT: 'PLAINTEXT', SSL: 'SSL', SASL_PLAINTEXT: 'SASL_PLAINTEXT', CONTROLLER: 'PLAINTEXT' });
  t.equal(d.get('listener.security.protocol.map'), 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT', 'the default as Kafka shows it');
  t.same(Object.fromEntries(parseSecurityProtocolMap(' plaintext : plaintext , CONTROLLER:PLAINTEXT,PLAINTEXT:SSL')), { PLAINTEXT: 'SSL', CONTROLLER: 'PLAINTEXT' }, 'upper-cased, trimmed, the last of a repeated name');
  refused(t, BROKER, { 'listener.security.protocol.map': 'PLAINTEXT:FOO,CONTROLLER:PLAINTEXT' }, /listener.security.protocol.map: "FOO" is not a security protocol/);
  refused(t, BROKER, { 'listener.security.protocol.map': 'PLAINTEXT' }, /listener.security.protocol.map: "PLAINTEXT" is not NAME:PROTOCOL/);
  refused(t, BROKER, { 'listener.security.protocol.map': '' }, /listeners: listener PLAINTEXT has no security protocol/);
  refused(t, BROKER, { listeners: 'PLAINTEXT://127.0.0.1:9092,EXTERNAL://127.0.0.1:9094' }, /listeners: listener EXTERNAL has no security protocol; add EXTERNAL:PLAINTEXT/);
  t.equal(load(BROKER, { 'controller.listener.names': 'CTRL' }).securityProtocolMap.get('CTRL'), 'PLAINTEXT', 'any controller name gets PLAINTEXT by default');
});

t.test('listeners: Kafka\'s NAME://host:port, names and ports distinct', async (t) => {
  const l = load(COMBINED, { listeners: ' PLAINTEXT://[::1]:9092 , CONTROLLER://::1:9093,' });
  t.same(l.listeners.map((e) => [e.name, e.host, e.port]), [['PLAINTEXT', '::1', 9092], ['CONTROLLER', '::1', 9093]], 'IPv6 in brackets or bare, a trailing comma');
  t.same(load(COMBINED, { listeners: 'PLAINTEXT://my-host.local:9092,CONTROLLER://:9093' }).listeners.map((e) => e.host), ['my-host.local', '']);
  refused(t, BROKER, { listeners: 'PLAINTEXT:/127.0.0.1:9092' }, /listeners: "PLAINTEXT:\/127.0.0.1:9092" is not a listener; expected NAME:\/\/host:port/);
  refused(t, COMBINED, { listeners: 'PLAINTEXT://127.0.0.1:9092/x,CONTROLLER://127.0.0.1:9093' }, /is not a listener/);
  refused(t, COMBINED, { listeners: 'PLAINTEXT://a b:9092,CONTROLLER://127.0.0.1:9093' }, /"PLAINTEXT:\/\/a b:9092" is not a listener/);
  refused(t, COMBINED, { listeners: '://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093' }, /has no listener name/);
  refused(t, BROKER, { listeners: 'PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9094' }, /listeners: listener name PLAINTEXT is used twice/);
  refused(t, BROKER, { listeners: 'PLAINTEXT://h:9092,SSL://h:9092' }, /listeners: listeners PLAINTEXT and SSL share port 9092/);
  refused(t, BROKER, { listeners: 'PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.2:9092', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT' }, /share port 9092/);
  // Sluice: a port must be one a socket can have (Kafka fails only when it binds).
  refused(t, BROKER, { listeners: 'PLAINTEXT://127.0.0.1:70000' }, /listeners: port 70000 of PLAINTEXT is out of range/);
  refused(t, BROKER, { listeners: 'PLAINTEXT://127.0.0.1:-1' }, /port -1 of PLAINTEXT is out of range/);
});

t.test('an IPv4 and an IPv6 listener may share a port, and port 0 may repeat', async (t) => {
  const map = { 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT' };
  const two = load(BROKER, { listeners: 'PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9092', ...map });
  t.same(two.listeners.map((l) => `${l.name}/${l.securityProtocol}/${l.host}:${l.port}`), ['PLAINTEXT/PLAINTEXT/127.0.0.1:9092', 'SSL/SSL/::1:9092']);
  t.equal(two.listener.name, 'PLAINTEXT', 'the first broker listener is the primary one');
  t.doesNotThrow(() => load(BROKER, { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', ...map }));
  t.doesNotThrow(() => load(COMBINED, { listeners: 'PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0' }));
  t.doesNotThrow(() => load(COMBINED, { listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://[::1]:9092' }));
});

t.test('Kafka LIST values: an empty entry is refused, an empty value is the empty list', async (t) => {
  t.same(kafkaList(' a , b ', 'k'), ['a', 'b']);
  t.same(kafkaList('  ', 'k'), []);
  t.throws(() => kafkaList('a,,b', 'k'), /k: "a,,b" has an empty entry/);
});

t.test('replica.fetch.wait.max.ms stays within replica.socket.timeout.ms and replica.lag.time.max.ms', async (t) => {
  refused(t, COMBINED, { 'replica.fetch.wait.max.ms': '29000', 'replica.socket.timeout.ms': '20000' }, /replica.fetch.wait.max.ms=29000 is above replica.socket.timeout.ms=20000/);
  refused(t, COMBINED, { 'replica.fetch.wait.max.ms': '25000', 'replica.lag.time.max.ms': '20000' }, /replica.fetch.wait.max.ms=25000 is above replica.lag.time.max.ms=20000/);
});

t.test('cluster timings: Kafka 4.1.1\'s names and defaults', async (t) => {
  const c = load(COMBINED);
  t.same(c.replication, {
    brokerSessionTimeoutMs: 9000,
    brokerHeartbeatIntervalMs: 2000,
    initialBrokerRegistrationTimeoutMs: 60000,
    metadataMaxIdleIntervalMs: 500,
    replicaLagTimeMaxMs: 30000,
    replicaFetchWaitMaxMs: 500,
    replicaFetchMinBytes: 1,
    replicaFetchMaxBytes: 1048576,
    replicaFetchResponseMaxBytes: 10485760,
    replicaFetchBackoffMs: 1000,
    replicaSocketTimeoutMs: 30000,
    highWatermarkCheckpointIntervalMs: 5000,
    uncleanLeaderElectionEnable: false,
    autoLeaderRebalanceEnable: true,
    leaderImbalanceCheckIntervalMs: 300000,
    controlledShutdownEnable: true,
    offsetsTopicReplicationFactor: 3,
    transactionStateLogReplicationFactor: 3,
    transactionStateLogMinIsr: 2,
  });
  const q = c.quorum;
  t.same([q.electionTimeoutMs, q.fetchTimeoutMs, q.electionBackoffMaxMs, q.requestTimeoutMs, q.retryBackoffMs, q.appendLingerMs], [1000, 2000, 1000, 2000, 20, 25]);
  const set = load(COMBINED, { 'broker.session.timeout.ms': '3000', 'leader.imbalance.check.interval.seconds': '5', 'unclean.leader.election.enable': 'true', 'controller.quorum.fetch.timeout.ms': '500' });
  t.same([set.replication.brokerSessionTimeoutMs, set.replication.leaderImbalanceCheckIntervalMs, set.replication.uncleanLeaderElectionEnable, set.quorum.fetchTimeoutMs], [3000, 5000, true, 500]);
  t.equal(set.topicDefault('unclean.leader.election.enable').value, 'true', 'also the topic config\'s default');
  refused(t, COMBINED, { 'leader.imbalance.check.interval.seconds': '0' }, /Value must be at least 1/);
  refused(t, COMBINED, { 'controller.quorum.election.timeout.ms': '-1' }, /Value must be at least 0/);
  refused(t, COMBINED, { 'offsets.topic.replication.factor': '40000' }, /Not a number of type SHORT/);
});

t.test('sluice start --host/--port moves the client listener and keeps the controller listener', async (t) => {
  const c = load(COMBINED, { 'controller.quorum.voters': null });
  t.equal(listenersWithClientAddress(c, '::1', 0), 'PLAINTEXT://[::1]:0,CONTROLLER://127.0.0.1:9093');
  const moved = load(COMBINED, { 'controller.quorum.voters': null, listeners: listenersWithClientAddress(c, '0.0.0.0', 19092) });
  t.same([moved.listener.host, moved.listener.port, moved.quorum.voters[0]?.port], ['0.0.0.0', 19092, 9093]);
});

t.test('a production-like cluster: three controllers and three brokers, files as Kafka ships them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kraft-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const voters = '1@controller-1.example:9093,2@controller-2.example:9093,3@controller-3.example:9093';
  const common = [
    'num.network.threads=3',
    'num.io.threads=8',
    'socket.send.buffer.bytes=102400',
    'socket.receive.buffer.bytes=102400',
    'socket.request.max.bytes=104857600',
    'num.partitions=3',
    'num.recovery.threads.per.data.dir=1',
    'offsets.topic.replication.factor=3',
    'transaction.state.log.replication.factor=3',
    'transaction.state.log.min.isr=2',
    'share.coordinator.state.topic.replication.factor=3',
    'share.coordinator.state.topic.min.isr=2',
    'default.replication.factor=3',
    'min.insync.replicas=2',
    'log.retention.hours=168',
    'log.segment.bytes=1073741824',
    'log.retention.check.interval.ms=300000',
  ];
  const write = (name: string, lines: string[]): string => {
    const file = join(dir, name);
    writeFileSync(file, ['# written by the test, laid out as a Kafka node\'s server.properties', ...lines, ...common, `log.dirs=${join(dir, name)}-data`, ''].join('\n'));
    return file;
  };
  for (const id of [1, 2, 3]) {
    const file = write(`controller-${id}.properties`, [
      'process.roles=controller',
      `node.id=${id}`,
      `controller.quorum.voters=${voters}`,
      'listeners=CONTROLLER://:9093',
      `advertised.listeners=CONTROLLER://controller-${id}.example:9093`,
      'controller.listener.names=CONTROLLER',
      'controller.quorum.election.timeout.ms=1000',
      'controller.quorum.fetch.timeout.ms=2000',
    ]);
    const c = loadBrokerConfig({ configFile: file });
    t.same([...c.roles], ['controller'], `controller ${id}`);
    t.same(c.quorum.voters.map((v) => v.id), [1, 2, 3]);
    t.same(c.advertisedControllerListeners.map((l) => `${l.host}:${l.port}`), [`controller-${id}.example:9093`]);
  }
  for (const id of [4, 5, 6]) {
    const file = write(`broker-${id}.properties`, [
      'process.roles=broker',
      `node.id=${id}`,
      'controller.quorum.bootstrap.servers=controller-1.example:9093,controller-2.example:9093,controller-3.example:9093',
      'listeners=PLAINTEXT://:9092',
      'inter.broker.listener.name=PLAINTEXT',
      `advertised.listeners=PLAINTEXT://broker-${id}.example:9092`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      'broker.session.timeout.ms=9000',
      'replica.lag.time.max.ms=30000',
      'unclean.leader.election.enable=false',
      'auto.leader.rebalance.enable=true',
      'controlled.shutdown.enable=true',
      // Kafka 3.x settings Kafka 4 dropped and ignores.
      'leader.imbalance.per.broker.percentage=10',
      'controlled.shutdown.max.retries=3',
    ]);
    const b = loadBrokerConfig({ configFile: file });
    t.same([...b.roles], ['broker'], `broker ${id}`);
    t.equal(b.quorum.origin, 'bootstrap');
    t.equal(b.quorum.bootstrapServers.length, 3);
    t.same(b.advertised, { name: 'PLAINTEXT', host: `broker-${id}.example`, port: 9092 });
    t.same(b.listener, { name: 'PLAINTEXT', host: '', port: 9092 });
    t.equal(b.interBrokerListenerName, 'PLAINTEXT');
    t.equal(b.replication.offsetsTopicReplicationFactor, 3);
  }
  // The same three machines as combined nodes (Kafka's server.properties with a static quorum).
  for (const id of [1, 2, 3]) {
    const file = write(`combined-${id}.properties`, [
      'process.roles=broker,controller',
      `node.id=${id}`,
      `controller.quorum.voters=${voters}`,
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      `advertised.listeners=PLAINTEXT://controller-${id}.example:9092,CONTROLLER://controller-${id}.example:9093`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
    ]);
    const c = loadBrokerConfig({ configFile: file });
    t.equal(c.quorum.origin, 'voters', `combined ${id}`);
    t.same(c.advertised, { name: 'PLAINTEXT', host: `controller-${id}.example`, port: 9092 });
    t.same(c.advertisedControllerListeners.map((l) => l.host), [`controller-${id}.example`]);
  }
});
