/**
 * The client listener: accepts TCP connections, hands each to a Connection, and bounds them as
 * Kafka's SocketServer does (ConnectionQuotas, the Selector's idle expiry, the MemoryPool).
 *
 * - max.connections.per.ip (and its overrides): a new connection from an address that already has
 *   its maximum is closed at once, as Kafka's Acceptor does (TooManyConnectionsException).
 * - max.connections (capped by limits.connectionsMax): Kafka's Acceptor stops accepting until a
 *   slot frees, leaving newcomers in the kernel's backlog, and frees slots for the inter-broker
 *   listener by closing the least recently used connection of another one. Node cannot stop
 *   accepting without closing the listening socket, and one listener has no other to take from;
 *   so a newcomer takes the place of the least recently active connection that has nothing in
 *   progress and has been idle for limits.evictIdleMsMin, and is closed when there is none.
 *   Thousands of idle connections from one client therefore never lock out another client (on
 *   loopback every client has the same address, so the per-IP limit cannot tell them apart).
 * - connections.max.idle.ms: a connection with no bytes moving either way for that long is
 *   closed, least recently active first, as Kafka's IdleExpiryManager does.
 * - Stalls: a request incomplete, or response bytes not taken by the client, for
 *   min(limits.transferStallMsMax, connections.max.idle.ms) close the connection (Connection).
 * - Memory: one request pool (queued.max.request.bytes, lenient as Kafka's) and one response pool
 *   (limits.pendingResponseBytesTotal, strict) shared by all connections.
 * - Refusals are counted and logged at most once a second, so a flood cannot flood the log.
 * A flood of connection attempts costs an accept and a close each; existing connections keep
 * being served between them, since nothing here waits.
 */
import type { Clock, TimerHandle } from '../control/clock.js';
import { lookup } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TlsOptions, type TLSSocket } from 'node:tls';
import { ConfigError, type NetConfig } from '../config/broker-config.js';
import type { SecurityProtocol } from '../config/kraft.js';
import { limits } from '../config/limits.js';
import { RateLimitedLog, type Logger } from '../logger.js';
import type { BrokerServices } from '../api/context.js';
import type { HandlerRegistry } from '../api/registry.js';
import { Connection, normalizeAddress, type ConnectionEnv } from './connection.js';
import { MemoryPool } from './memory-pool.js';
import type { SaslListenerConfig } from './sasl-authenticator.js';

/** TLS on an SSL or SASL_SSL listener (built from its ssl.* configs, net/tls.ts). */
export interface TlsListenerConfig {
  /** The node:tls server options (key store, trust store, protocols, ciphers). */
  readonly options: TlsOptions;
  /** ssl.client.auth=requested or required. */
  readonly requestCert: boolean;
  /** ssl.client.auth=required: a connection without a trusted client certificate fails its handshake. */
  readonly certRequired: boolean;
  /**
   * The principal of the client certificate of an established TLS socket (ssl.principal.mapping.rules),
   * "User:ANONYMOUS" without one; refused when the certificate is not trusted or no rule maps it.
   */
  principalOf(socket: TLSSocket): { principal: string } | { refused: string };
}

/** What a listener asks of its clients besides the bytes: TLS, SASL, both or neither. */
export interface ListenerSecurity {
  readonly tls: TlsListenerConfig | null;
  readonly sasl: SaslListenerConfig | null;
}

/** How often idle and stalled connections are looked for, at most (ms). */
const SWEEP_MS_MAX = 1000;
/** Refusals are logged at most this often (ms). */
const REFUSAL_LOG_MS = 1000;

export class Listener {
  private readonly server: Server;
  private readonly env: ConnectionEnv;
  /** Open connections, least recently active first (a Map keeps insertion order). */
  private readonly byActivity = new Map<Connection, number>();
  private readonly perAddress = new Map<string, number>();
  /** max.connections.per.ip.overrides by address, resolved at listen(). */
  private overrides = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** The idle check runs on the broker's clock (control/clock.ts): advancing it closes idle connections. */
  private idleTimer: TimerHandle | null = null;
  private readonly clock: Clock;
  private readonly stallMs: number;
  /** Refusals at accept: logged at most once a second, the rest counted into the next line. */
  private readonly refusals: RateLimitedLog;

  /** TLS handshakes under way: counted against max.connections like open connections. */
  private handshakes = 0;
  private readonly tls: TlsListenerConfig | null;
  /** Does the TLS handshakes of accepted sockets; never listens itself. */
  private readonly tlsServer: TlsServer | null = null;
  private readonly pendingTls = new Map<string, Socket>();

  constructor(
    broker: BrokerServices & { readonly refusedConnections: RateLimitedLog },
    handlers: HandlerRegistry,
    log: Logger,
    private readonly config: NetConfig,
    endpoint: { name: string; securityProtocol: SecurityProtocol },
    security: ListenerSecurity = { tls: null, sasl: null },
  ) {
    this.tls = security.tls;
    this.clock = broker.clock;
    // An accounting bug must not take the broker down from inside a socket callback: say it loudly.
    const onBug = (message: string): void => log.error(`BUG: ${message}`);
    this.env = {
      broker,
      refusedConnections: broker.refusedConnections,
      handlers,
      listenerName: endpoint.name,
      securityProtocol: endpoint.securityProtocol,
      sasl: security.sasl,
      faults: broker.faults,
      observer: broker.observer,
      log,
      config,
      requestPool: new MemoryPool(config.queuedRequestBytesMax, 'lenient', onBug),
      responsePool: new MemoryPool(limits.pendingResponseBytesTotal, 'strict', onBug),
      onActivity: (conn) => this.touch(conn),
    };
    this.stallMs = Math.min(limits.transferStallMsMax, config.idleMs ?? Infinity);
    this.refusals = new RateLimitedLog((msg) => log.info(msg), 1, REFUSAL_LOG_MS);
    this.server = createServer((socket) => this.accept(socket));
    if (this.tls) {
      const { options, requestCert, certRequired } = this.tls;
      this.tlsServer = createTlsServer({ ...options, requestCert, rejectUnauthorized: certRequired, handshakeTimeout: this.stallMs });
      this.tlsServer.on('secureConnection', (socket: TLSSocket) => this.onSecure(socket));
      this.tlsServer.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        this.refusals.log(`TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${err.message}`);
        socket.destroy();
      });
    }
  }

  private touch(conn: Connection): void {
    this.byActivity.delete(conn);
    this.byActivity.set(conn, this.clock.nowMs());
  }

  private accept(socket: Socket): void {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const refusal = this.perIpRefusal(address) ?? this.makeRoom();
    if (refusal !== null) {
      this.refusals.log(`refused connection from ${address}: ${refusal}`);
      socket.destroy();
      return;
    }
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    if (this.tls) this.handshake(socket, address);
    else this.open(socket, address, null);
  }

  private open(socket: Socket, address: string, principal: string | null): void {
    const conn = new Connection(socket, this.env);
    if (principal !== null) conn.session.principal = principal;
    this.touch(conn);
    void conn.closed.then(() => this.forget(conn, address));
  }

  /**
   * The TLS handshake, by a node:tls server that never listens: the accepted socket is handed to
   * it (Node's documented `emit('connection')`), so verification of client certificates and
   * `authorized` are node's own. Bounded by the stall timeout (handshakeTimeout); the connection
   * opens once it is done, with the client certificate's principal on an SSL listener (SASL_SSL's
   * principal comes from SASL). Pending handshakes are keyed by the client's address and port.
   */
  private handshake(raw: Socket, address: string): void {
    const key = `${raw.remoteAddress}:${raw.remotePort}`;
    this.handshakes++;
    this.pendingTls.set(key, raw);
    raw.once('close', () => {
      if (this.pendingTls.get(key) !== raw) return;
      this.pendingTls.delete(key);
      this.handshakes--;
      this.forget(null, address);
    });
    this.tlsServer!.emit('connection', raw);
  }

  private onSecure(socket: TLSSocket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const raw = this.pendingTls.get(key);
    if (raw === undefined) {
      socket.destroy();
      return;
    }
    // ssl.client.auth=requested: a certificate is optional, but one we cannot trust is refused
    // (on SASL_SSL too, though SASL then names the principal).
    const who = this.tls!.principalOf(socket);
    if ('refused' in who) {
      this.refusals.log(`TLS client authentication of ${key} failed: ${who.refused}`);
      socket.destroy();
      return;
    }
    this.pendingTls.delete(key);
    this.handshakes--;
    this.open(socket, normalizeAddress(raw.remoteAddress ?? ''), this.env.securityProtocol === 'SSL' ? who.principal : null);
  }

  private forget(conn: Connection | null, address: string): void {
    if (conn) this.byActivity.delete(conn);
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n === 0) this.perAddress.delete(address);
    else this.perAddress.set(address, n);
  }

  private perIpRefusal(address: string): string | null {
    const max = this.overrides.get(address) ?? this.config.maxConnectionsPerIp;
    const open = this.perAddress.get(address) ?? 0;
    return open < max ? null : `it has ${open} connections, max.connections.per.ip${this.overrides.has(address) ? '.overrides' : ''} allows ${max}`;
  }

  /** Null when a new connection may open, closing a long idle one if need be. */
  private makeRoom(): string | null {
    const max = this.config.maxConnections;
    if (this.byActivity.size + this.handshakes < max) return null;
    const victim = this.idleConnection(this.clock.nowMs());
    if (victim !== null) {
      victim.conn.close(`idle for ${victim.idleMs} ms, making room for a new connection at max.connections=${max}`, 'debug');
      return null;
    }
    return `${this.byActivity.size} connections open, max.connections allows ${max} and none is idle`;
  }

  /**
   * The least recently active connection that has nothing in progress and has been idle for
   * limits.evictIdleMsMin, among the first limits.evictCandidatesMax (a long poll may be older).
   */
  private idleConnection(nowMs: number): { conn: Connection; idleMs: number } | null {
    let looked = 0;
    for (const [conn, activeMs] of this.byActivity) {
      const idleMs = nowMs - activeMs;
      if (idleMs < limits.evictIdleMsMin || ++looked > limits.evictCandidatesMax) return null;
      if (conn.quiet) return { conn, idleMs };
    }
    return null;
  }

  /** Closes stalled connections: on wall time, whatever the broker's clock says. */
  private sweep(): void {
    const now = Date.now();
    for (const conn of this.byActivity.keys()) {
      const stall = conn.stalled(now, this.stallMs);
      if (stall !== null) conn.close(stall);
    }
  }

  /** Closes connections idle for connections.max.idle.ms of the broker's clock. */
  private sweepIdle(): void {
    const idleMs = this.config.idleMs;
    if (idleMs === null) return;
    const now = this.clock.nowMs();
    for (const [conn, activeMs] of this.byActivity) {
      if (now - activeMs <= idleMs) break;
      conn.close(`idle for ${now - activeMs} ms (connections.max.idle.ms=${idleMs})`, 'debug');
    }
  }

  async listen(host: string, port: number): Promise<number> {
    this.overrides = await resolveOverrides(this.config.maxConnectionsPerIpOverrides);
    const bound = await new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: host === '' ? undefined : host, port }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
    const everyMs = Math.max(10, Math.min(SWEEP_MS_MAX, Math.floor(this.stallMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), everyMs);
    this.sweepTimer.unref();
    if (this.config.idleMs !== null) this.idleTimer = this.clock.setInterval(() => this.sweepIdle(), Math.max(10, Math.min(SWEEP_MS_MAX, Math.floor(this.config.idleMs / 4)))).unref();
    return bound;
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.clock.clearTimeout(this.idleTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.byActivity.keys()]) c.close();
    for (const raw of [...this.pendingTls.values()]) raw.destroy();
    await closed;
  }
}


/** Host names resolve to every address they have (Kafka takes InetAddress.getByName's one). */
async function resolveOverrides(byHost: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [host, count] of byHost) {
    if (isIP(host) !== 0) {
      out.set(normalizeAddress(host), count);
      continue;
    }
    let addresses: Array<{ address: string }>;
    try {
      addresses = await lookup(host, { all: true });
    } catch {
      throw new ConfigError(`max.connections.per.ip.overrides: cannot resolve host "${host}"; use an IP address or a name this machine can resolve`);
    }
    for (const a of addresses) out.set(normalizeAddress(a.address), count);
  }
  return out;
}
