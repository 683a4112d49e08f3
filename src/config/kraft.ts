/**
 * A node's place in a KRaft cluster, read from Kafka's own properties: its roles (process.roles),
 * every listener with its security protocol, the controller and inter-broker listener names, the
 * advertised endpoints per listener, and how it finds the controller quorum
 * (controller.quorum.voters or controller.quorum.bootstrap.servers). The checks are the ones Kafka
 * 4.1.1 makes when it starts (KafkaConfig.validateValues, QuorumConfig, the listener parsing in
 * SocketServerConfigs and CoreUtils); each refusal is a one-line ConfigError saying what to set.
 *
 * Where Sluice is deliberately more lenient than Kafka (README):
 * - a combined node (process.roles=broker,controller) may leave both quorum settings unset. It is
 *   then the only voter of its own quorum: on its controller listener when controller.listener.names
 *   names one ('self'), else in-process with no controller listener at all ('in-process', the
 *   single-node broker Sluice has always been). Kafka requires one of the two settings.
 * - a listener bound to 0.0.0.0 or :: with no advertised.listeners entry is advertised as
 *   127.0.0.1 (the broker does this); Kafka refuses to start. An advertised.listeners entry on
 *   0.0.0.0 is refused as in Kafka.
 * And stricter, where Kafka would accept a value that cannot work:
 * - a listener port must be 0-65535 (Kafka fails only when it binds);
 * - a voter needs a host, an id of at least 0, and each id once (Kafka keeps the last of a
 *   repeated id and fails later on a negative one);
 * - process.roles must name at least one role.
 */

import { ConfigError } from './config-error.js';

export type ProcessRole = 'broker' | 'controller';
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Kafka's default listener.security.protocol.map, as Kafka 4.1.1 prints it (DescribeConfigs). */
export const SECURITY_PROTOCOL_MAP_DEFAULT = 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT';


export interface HostPort {
  /** As written, without IPv6 brackets; for a listener, '' means every interface. */
  readonly host: string;
  readonly port: number;
}

export interface Endpoint extends HostPort {
  /** Upper-cased, as Kafka normalises listener names. */
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
}

export interface QuorumVoter extends HostPort {
  readonly id: number;
}

/**
 * How this node finds the controller quorum:
 * - 'voters': controller.quorum.voters, the static voter set (KIP-595);
 * - 'bootstrap': controller.quorum.bootstrap.servers only, the voters are learnt from the quorum
 *   (KIP-853);
 * - 'self': neither set on a combined node with a controller listener: itself as the only voter,
 *   on that listener (Sluice's default for a one-node cluster others can join as brokers);
 * - 'in-process': neither set and no controller listener: the node is its own controller and no
 *   other node can reach it (a single-node Sluice as before issue 12).
 */
export type QuorumOrigin = 'voters' | 'bootstrap' | 'self' | 'in-process';

export interface QuorumConfig {
  readonly origin: QuorumOrigin;
  /** The voters (for 'self', this node); empty for 'bootstrap' and 'in-process'. */
  readonly voters: readonly QuorumVoter[];
  /** controller.quorum.bootstrap.servers; Kafka accepts it beside the voters and asks these first. */
  readonly bootstrapServers: readonly HostPort[];
  /** controller.quorum.election.timeout.ms */
  readonly electionTimeoutMs: number;
  /** controller.quorum.fetch.timeout.ms */
  readonly fetchTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms */
  readonly electionBackoffMaxMs: number;
  /** controller.quorum.request.timeout.ms */
  readonly requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms */
  readonly retryBackoffMs: number;
  /** controller.quorum.append.linger.ms */
  readonly appendLingerMs: number;
}

export interface KraftConfig {
  readonly roles: ReadonlySet<ProcessRole>;
  /** Every listener of `listeners`, in order, controller listeners included. */
  readonly listeners: readonly Endpoint[];
  /** The effective listener.security.protocol.map (with KRaft's CONTROLLER:PLAINTEXT default). */
  readonly securityProtocolMap: ReadonlyMap<string, SecurityProtocol>;
  /** controller.listener.names, in order (a broker-only node connects with the first). */
  readonly controllerListenerNames: readonly string[];
  /** This node's controller listeners (a subset of `listeners`). */
  readonly controllerListeners: readonly Endpoint[];
  /** The listeners that serve clients and brokers: every listener that is not a controller one. */
  readonly brokerListeners: readonly Endpoint[];
  /** inter.broker.listener.name, else the listener named after security.inter.broker.protocol. */
  readonly interBrokerListenerName: string;
  /** Advertised broker endpoints by listener name (advertised.listeners, else `listeners`); never a controller listener. */
  readonly advertisedListeners: ReadonlyMap<string, Endpoint>;
  /** Where other nodes reach this node's controller listeners, in controller.listener.names order. */
  readonly advertisedControllerListeners: readonly Endpoint[];
  readonly quorum: QuorumConfig;
}

/** The properties this module reads: value as set (file, override, dynamic) or default. */
export interface PropertySource {
  get(name: string): string | null;
  /** Whether the property was set explicitly (Kafka treats some defaults differently from explicit values). */
  isSet(name: string): boolean;
}

/** Kafka's Csv.parseCsvList: comma-separated, whitespace around commas removed, empty items dropped. */
export function csvList(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * A Kafka LIST-typed value (process.roles, controller.quorum.voters, ...): split at commas with
 * whitespace around them removed; unlike csvList an empty item is an error, as in Kafka ("a,,b",
 * "a,"), but an empty value is the empty list.
 */
export function kafkaList(value: string | null, key: string): string[] {
  const trimmed = (value ?? '').trim();
  if (trimmed === '') return [];
  const items = trimmed.split(/\s*,\s*/);
  if (items.includes('')) throw new ConfigError(`${key}: "${trimmed}" has an empty entry; remove the extra comma`);
  return items;
}

export function parseProcessRoles(value: string | null): Set<ProcessRole> {
  const roles = new Set<ProcessRole>();
  for (const r of kafkaList(value, 'process.roles')) {
    if (r !== 'broker' && r !== 'controller') {
      throw new ConfigError(`process.roles: unknown role "${r}"; use broker, controller or broker,controller`);
    }
    if (roles.has(r)) throw new ConfigError(`process.roles: "${r}" is listed twice; name each role once, e.g. process.roles=broker,controller`);
    roles.add(r);
  }
  if (roles.size === 0) throw new ConfigError('process.roles is empty; set it to broker, controller or broker,controller');
  return roles;
}

/**
 * listener.security.protocol.map: NAME:PROTOCOL pairs split at the last colon (Kafka's
 * Csv.parseCsvMap); names are upper-cased as Kafka normalises listener names, a name given twice
 * keeps its last protocol as in Kafka.
 */
export function parseSecurityProtocolMap(value: string): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const entry of csvList(value)) {
    const at = entry.lastIndexOf(':');
    const name = entry.slice(0, Math.max(at, 0)).trim().toUpperCase();
    const protocol = entry.slice(at + 1).trim().toUpperCase();
    if (at <= 0 || name === '') {
      throw new ConfigError(`listener.security.protocol.map: "${entry}" is not NAME:PROTOCOL, e.g. CONTROLLER:PLAINTEXT`);
    }
    if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new ConfigError(`listener.security.protocol.map: "${entry.slice(at + 1).trim()}" is not a security protocol; use one of ${SECURITY_PROTOCOLS.join(', ')}`);
    }
    out.set(name, protocol as SecurityProtocol);
  }
  return out;
}

const isSslOrSasl = (name: string): boolean => name === 'SSL' || name === 'SASL_PLAINTEXT' || name === 'SASL_SSL';

/**
 * Kafka's effective map: as written when listener.security.protocol.map is set; otherwise the
 * default, plus NAME:PLAINTEXT for each controller listener name unless a listener or controller
 * listener name is SSL or SASL_* (then each controller listener needs an explicit mapping).
 * Controller listener names are taken as written here, as Kafka does: a lower-case
 * controller.listener.names entry does not map the upper-cased listener of the same name.
 */
export function effectiveSecurityProtocolMap(props: PropertySource, controllerNames: readonly string[]): Map<string, SecurityProtocol> {
  const map = parseSecurityProtocolMap(props.get('listener.security.protocol.map') ?? SECURITY_PROTOCOL_MAP_DEFAULT);
  if (props.isSet('listener.security.protocol.map')) return map;
  const listenerNames = csvList(props.get('listeners')).map((l) => {
    const colon = l.indexOf(':');
    return colon < 0 ? l.toUpperCase() : l.slice(0, colon).toUpperCase();
  });
  if (controllerNames.some(isSslOrSasl) || listenerNames.some(isSslOrSasl)) return map;
  for (const n of controllerNames) if (n !== 'PLAINTEXT') map.set(n, 'PLAINTEXT');
  return map;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** Listener hosts are already limited to [0-9a-zA-Z-%._:]; one with a colon is an IPv6 address. */
const isIpv6 = (h: string): boolean => h.includes(':');

/**
 * A listener list (listeners, advertised.listeners): NAME://host:port entries, IPv6 hosts in
 * brackets or bare, '' for every interface. Kafka's URI pattern and checks: a security protocol for
 * each name, names distinct, and (for `listeners`) ports distinct unless one IPv4 and one IPv6
 * address share a port; port 0 (any free port) may repeat.
 */
export function parseEndpoints(value: string, key: string, protocols: ReadonlyMap<string, SecurityProtocol>, requireDistinctPorts: boolean): Endpoint[] {
  const out: Endpoint[] = [];
  for (const entry of csvList(value)) {
    const m = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?\d+)$/.exec(entry);
    if (!m) throw new ConfigError(`${key}: "${entry}" is not a listener; expected NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092`);
    const name = m[1]!.toUpperCase();
    if (name === '') throw new ConfigError(`${key}: "${entry}" has no listener name; expected NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092`);
    const port = Number(m[3]);
    if (!(port >= 0 && port <= 65535)) throw new ConfigError(`${key}: port ${m[3]} of ${name} is out of range (0-65535)`);
    const securityProtocol = protocols.get(name);
    if (securityProtocol === undefined) {
      throw new ConfigError(
        `${key}: listener ${name} has no security protocol; add ${name}:PLAINTEXT (or its protocol) to listener.security.protocol.map, or if it is the controllers' listener, name it in controller.listener.names`,
      );
    }
    if (out.some((e) => e.name === name)) throw new ConfigError(`${key}: listener name ${name} is used twice; give each listener its own name`);
    out.push({ name, host: m[2]!, port, securityProtocol });
  }
  if (requireDistinctPorts) {
    const byPort = new Map<number, Endpoint[]>();
    for (const e of out) if (e.port !== 0) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e]);
    for (const [port, eps] of byPort) {
      if (eps.length < 2) continue;
      const v4 = eps.filter((e) => IPV4.test(e.host));
      const v6 = eps.filter((e) => !IPV4.test(e.host) && isIpv6(e.host));
      if (eps.length === 2 && v4.length === 1 && v6.length === 1) continue;
      throw new ConfigError(`${key}: listeners ${eps.map((e) => e.name).join(' and ')} share port ${port}; give each its own port (only an IPv4 and an IPv6 address may share one)`);
    }
  }
  return out;
}

/**
 * host:port as Kafka's Utils.getHost/getPort read it: an optional scheme, an IPv6 host in
 * brackets or bare (the last colon starts the port), host characters [0-9a-zA-Z-%._:].
 */
function hostPort(s: string): { host: string; port: string } | null {
  const m = /^(?:[0-9a-zA-Z\-%._]*:\/\/)?\[?([0-9a-zA-Z\-%._:]*)\]?:(\d+)$/.exec(s);
  return m ? { host: m[1]!, port: m[2]! } : null;
}

/** controller.quorum.voters: id@host:port entries (IPv6 hosts in brackets), Kafka's format. */
export function parseVoters(value: string | null): QuorumVoter[] {
  const key = 'controller.quorum.voters';
  const out: QuorumVoter[] = [];
  for (const entry of kafkaList(value, key)) {
    const parts = entry.split('@');
    if (parts.length !== 2) throw new ConfigError(`${key}: "${entry}" is not id@host:port, e.g. 1@controller-1:9093`);
    const [idText, address] = parts as [string, string];
    if (!/^[+-]?\d+$/.test(idText) || Number(idText) > 2 ** 31 - 1 || Number(idText) < -(2 ** 31)) {
      throw new ConfigError(`${key}: voter id "${idText}" in "${entry}" is not a number; expected id@host:port, e.g. 1@controller-1:9093`);
    }
    const id = Number(idText);
    if (id < 0) throw new ConfigError(`${key}: voter id ${id} in "${entry}" is negative; a voter id is the controller's node.id (0 or more)`);
    const hp = hostPort(address);
    if (hp === null || hp.host === '') throw new ConfigError(`${key}: cannot read the host and port of "${entry}"; expected id@host:port, e.g. 1@controller-1:9093 or 1@[::1]:9093`);
    const port = Number(hp.port);
    if (port > 65535) throw new ConfigError(`${key}: port ${port} in "${entry}" is out of range (0-65535)`);
    // Kafka refuses this when the raft client starts (QuorumConfig: not routable).
    if (hp.host === '0.0.0.0') throw new ConfigError(`${key}: "${entry}": 0.0.0.0 is not an address others can connect to; give the controller's host name or IP`);
    if (out.some((v) => v.id === id)) throw new ConfigError(`${key}: voter id ${id} is listed twice; each controller once, e.g. 1@c1:9093,2@c2:9093`);
    out.push({ id, host: hp.host, port });
  }
  return out;
}

/** controller.quorum.bootstrap.servers: host:port entries (IPv6 hosts in brackets), Kafka's format. */
export function parseBootstrapServers(value: string | null): HostPort[] {
  const key = 'controller.quorum.bootstrap.servers';
  return kafkaList(value, key).map((entry) => {
    const hp = hostPort(entry);
    if (hp === null || hp.host === '') throw new ConfigError(`${key}: cannot read the host and port of "${entry}"; expected host:port, e.g. controller-1:9093 or [::1]:9093`);
    const port = Number(hp.port);
    if (port > 65535) throw new ConfigError(`${key}: port ${port} in "${entry}" is out of range (0-65535)`);
    return { host: hp.host, port };
  });
}

const NEEDS_QUORUM =
  'set controller.quorum.voters (id@host:port of each controller, e.g. 1@controller-1:9093) or controller.quorum.bootstrap.servers (host:port of the controllers)';

/** Reads and checks a node's roles, listeners and quorum (see the module comment). */
export function kraftConfig(props: PropertySource, nodeId: number): KraftConfig {
  const roles = parseProcessRoles(props.get('process.roles'));
  const isBroker = roles.has('broker');
  const isController = roles.has('controller');
  const rolesText = [...roles].join(',');

  const controllerListenerNames = csvList(props.get('controller.listener.names'));
  const securityProtocolMap = effectiveSecurityProtocolMap(props, controllerListenerNames);
  const listeners = parseEndpoints(props.get('listeners') ?? '', 'listeners', securityProtocolMap, true);
  const explicitAdvertised = props.get('advertised.listeners');
  const advertised = explicitAdvertised !== null ? parseEndpoints(explicitAdvertised, 'advertised.listeners', securityProtocolMap, false) : listeners;
  const isControllerName = (name: string): boolean => controllerListenerNames.includes(name);
  const controllerListeners = listeners.filter((l) => isControllerName(l.name));
  const brokerListeners = listeners.filter((l) => !isControllerName(l.name));
  const advertisedBroker = advertised.filter((l) => !isControllerName(l.name));
  const advertisedControllerListeners = controllerListenerNames.flatMap((n) => {
    const e = advertised.find((a) => a.name === n) ?? controllerListeners.find((c) => c.name === n);
    return e ? [e] : [];
  });

  // inter.broker.listener.name, or the listener named after security.inter.broker.protocol.
  let interBrokerListenerName: string;
  const ibl = props.get('inter.broker.listener.name');
  if (ibl !== null) {
    if (props.isSet('security.inter.broker.protocol')) {
      throw new ConfigError('set only one of inter.broker.listener.name and security.inter.broker.protocol (inter.broker.listener.name names the listener, which says its protocol)');
    }
    interBrokerListenerName = ibl.trim().toUpperCase();
    if (!securityProtocolMap.has(interBrokerListenerName)) {
      throw new ConfigError(`inter.broker.listener.name: listener ${interBrokerListenerName} has no security protocol; add it to listeners and listener.security.protocol.map`);
    }
  } else {
    interBrokerListenerName = props.get('security.inter.broker.protocol') ?? 'PLAINTEXT';
  }

  const voters = parseVoters(props.get('controller.quorum.voters'));
  const bootstrapServers = parseBootstrapServers(props.get('controller.quorum.bootstrap.servers'));
  const quorumSet = voters.length > 0 || bootstrapServers.length > 0;
  const voterIds = voters.map((v) => v.id);

  const controllerNamesInListeners = (): void => {
    const missing = controllerListenerNames.filter((n) => !listeners.some((l) => l.name === n));
    if (missing.length > 0) {
      throw new ConfigError(
        `controller.listener.names: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in listeners; a controller needs a listener of each name, e.g. listeners=...,${missing[0]}://127.0.0.1:9093`,
      );
    }
  };
  const controllerListenerExists = (): void => {
    if (advertisedControllerListeners.length === 0) {
      throw new ConfigError(
        'the controller role needs a controller listener: set controller.listener.names (e.g. CONTROLLER) and add a listener of that name to listeners, e.g. CONTROLLER://127.0.0.1:9093',
      );
    }
  };
  const nodeInVoters = (): void => {
    if (voterIds.length > 0 && !voterIds.includes(nodeId)) {
      throw new ConfigError(
        `node.id ${nodeId} is not in controller.quorum.voters (ids ${voterIds.join(', ')}); a controller must be one of the voters: add ${nodeId}@host:port there or fix node.id`,
      );
    }
  };

  let origin: QuorumOrigin;
  let quorumVoters = voters;
  if (isBroker && !isController) {
    if (!quorumSet) throw new ConfigError(`process.roles=broker: the broker must find the controllers; ${NEEDS_QUORUM}`);
    if (voterIds.includes(nodeId)) {
      throw new ConfigError(`process.roles=broker: node.id ${nodeId} is in controller.quorum.voters, which lists controllers only; give the broker another node.id or add the controller role`);
    }
    if (controllerListenerNames.length === 0) {
      throw new ConfigError('process.roles=broker: set controller.listener.names to the name of the controllers\' listener (e.g. CONTROLLER), which the broker connects to');
    }
    if (controllerListeners.length > 0) {
      throw new ConfigError(
        `process.roles=broker: listeners must not include the controller listener ${controllerListeners.map((l) => l.name).join(', ')}; only controllers listen on it (remove it, or add the controller role)`,
      );
    }
    for (const n of controllerListenerNames) {
      if (!securityProtocolMap.has(n)) {
        throw new ConfigError(`controller.listener.names: ${n} has no security protocol; add ${n}:PLAINTEXT (or its protocol) to listener.security.protocol.map`);
      }
    }
  } else if (isController && !isBroker) {
    if (!quorumSet) throw new ConfigError(`process.roles=controller: ${NEEDS_QUORUM}`);
    if (advertisedControllerListeners.length !== listeners.length || brokerListeners.length > 0) {
      throw new ConfigError(
        `process.roles=controller: listeners may hold only the controller listeners named in controller.listener.names; remove ${brokerListeners.map((l) => l.name).join(', ') || 'the others'} or add the broker role`,
      );
    }
    nodeInVoters();
    controllerListenerExists();
    controllerNamesInListeners();
  } else if (quorumSet) {
    nodeInVoters();
    controllerListenerExists();
    controllerNamesInListeners();
  } else if (controllerListenerNames.length > 0) {
    // Sluice's default for a combined node: itself as the only voter, on its controller listener.
    controllerNamesInListeners();
    controllerListenerExists();
    const self = advertisedControllerListeners[0]!;
    quorumVoters = [{ id: nodeId, host: self.host, port: self.port }];
  }
  if (voters.length > 0) origin = 'voters';
  else if (bootstrapServers.length > 0) origin = 'bootstrap';
  else origin = controllerListenerNames.length > 0 ? 'self' : 'in-process';

  if (isBroker) {
    if (advertisedBroker.length === 0) {
      throw new ConfigError(
        `process.roles=${rolesText}: there is no broker listener${explicitAdvertised !== null ? ' in advertised.listeners' : ''}; every listener is a controller listener (controller.listener.names). Add one for clients, e.g. PLAINTEXT://127.0.0.1:9092`,
      );
    }
    const unknown = advertisedBroker.filter((a) => !listeners.some((l) => l.name === a.name));
    if (unknown.length > 0) {
      throw new ConfigError(
        `advertised.listeners: ${unknown.map((a) => a.name).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in listeners (${listeners.map((l) => l.name).join(', ')}); advertise only listeners this broker has`,
      );
    }
    if (!advertisedBroker.some((a) => a.name === interBrokerListenerName)) {
      throw new ConfigError(
        `inter.broker.listener.name is ${interBrokerListenerName}, which is not an advertised broker listener (${advertisedBroker.map((a) => a.name).join(', ')}); set inter.broker.listener.name to one of them`,
      );
    }
  }
  if (explicitAdvertised !== null) {
    for (const a of [...advertisedBroker, ...advertisedControllerListeners]) {
      if (a.host === '0.0.0.0') {
        throw new ConfigError(`advertised.listeners: ${a.name}://0.0.0.0:${a.port} cannot be connected to; advertise a host name or IP that others can reach`);
      }
    }
  }

  const int = (name: string): number => Number(props.get(name));
  return {
    roles,
    listeners,
    securityProtocolMap,
    controllerListenerNames,
    controllerListeners,
    brokerListeners,
    interBrokerListenerName,
    advertisedListeners: new Map(advertisedBroker.map((a) => [a.name, a])),
    advertisedControllerListeners,
    quorum: {
      origin,
      voters: quorumVoters,
      bootstrapServers,
      electionTimeoutMs: int('controller.quorum.election.timeout.ms'),
      fetchTimeoutMs: int('controller.quorum.fetch.timeout.ms'),
      electionBackoffMaxMs: int('controller.quorum.election.backoff.max.ms'),
      requestTimeoutMs: int('controller.quorum.request.timeout.ms'),
      retryBackoffMs: int('controller.quorum.retry.backoff.ms'),
      appendLingerMs: int('controller.quorum.append.linger.ms'),
    },
  };
}
