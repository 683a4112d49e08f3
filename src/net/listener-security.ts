/**
 * What each listener asks of its clients, built once at start from the listener's security
 * protocol and its ssl.* / sasl.* configs (listener-prefixed first, as Kafka reads them):
 * - SSL and SASL_SSL: TLS (net/tls.ts), the client certificate's principal on SSL;
 * - SASL_PLAINTEXT and SASL_SSL: the mechanisms of sasl.enabled.mechanisms, each configured for
 *   this listener (PLAIN and OAUTHBEARER from the listener's JAAS config, SCRAM from the
 *   credentials in the metadata log), plus connections.max.reauth.ms,
 *   connection.failed.authentication.delay.ms and sasl.server.max.receive.size.
 * GSSAPI (Kafka's default mechanism) needs Kerberos, which Sluice does not have: it is left out with
 * a warning, and a SASL listener with no other mechanism refuses to start.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-error.js';
import type { Endpoint } from '../config/kraft.js';
import type { Logger } from '../logger.js';
import { OAUTHBEARER, oauthBearerMechanismForListener } from '../auth/oauthbearer.js';
import { PLAIN, plainMechanismForListener } from '../auth/plain.js';
import type { SaslClient, SaslMechanism } from '../auth/sasl.js';
import { saslClientFactory } from '../auth/sasl-clients.js';
import { isScramMechanism, scramMechanism, type ScramCredentialLookup } from '../auth/scram.js';
import { needsSasl, usesTls } from '../auth/session.js';
import type { SaslListenerConfig } from './sasl-authenticator.js';
import type { ListenerSecurity, TlsListenerConfig } from './server.js';
import { SslAuthenticationError, tlsListener } from './tls.js';
import type { ConnectionOptions } from 'node:tls';

export interface SecurityDeps {
  /** SCRAM credentials as the metadata log has them now. */
  readonly scramCredentials: ScramCredentialLookup;
  readonly log: Logger;
}

export function listenerSecurity(config: BrokerConfig, endpoint: Endpoint, deps: SecurityDeps): ListenerSecurity {
  return {
    tls: usesTls(endpoint.securityProtocol) ? listenerTls(config, endpoint, deps.log) : null,
    sasl: needsSasl(endpoint.securityProtocol) ? listenerSasl(config, endpoint.name, deps) : null,
  };
}

function listenerTls(config: BrokerConfig, endpoint: Endpoint, log: Logger): TlsListenerConfig {
  const tls = tlsListener(config, endpoint.name);
  for (const w of tls.warnings) log.warn(w);
  const { requestCert, rejectUnauthorized } = tls.options;
  return {
    options: tls.options,
    requestCert: requestCert === true,
    certRequired: rejectUnauthorized === true,
    principalOf(socket) {
      try {
        return { principal: tls.principalOf(socket) };
      } catch (err) {
        if (err instanceof SslAuthenticationError) return { refused: err.message };
        throw err;
      }
    },
  };
}

function listenerSasl(config: BrokerConfig, listenerName: string, deps: SecurityDeps): SaslListenerConfig {
  const enabled = (config.listenerGet(listenerName, 'sasl.enabled.mechanisms') ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  const mechanisms = new Map<string, SaslMechanism>();
  for (const name of enabled) {
    const lookup = (n: string): string | null => config.listenerGet(listenerName, n, name);
    if (name === PLAIN) mechanisms.set(name, plainMechanismForListener(lookup, listenerName));
    else if (name === OAUTHBEARER) mechanisms.set(name, oauthBearerMechanismForListener(lookup, listenerName));
    else if (isScramMechanism(name)) mechanisms.set(name, scramMechanism(name, deps.scramCredentials));
    else if (name === 'GSSAPI') deps.log.warn(`listener ${listenerName}: SASL mechanism GSSAPI (Kerberos) is not supported by Sluice and is not offered`);
    else throw new ConfigError(`listener ${listenerName}: sasl.enabled.mechanisms names ${name}, which Sluice does not have; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
  }
  if (mechanisms.size === 0) {
    throw new ConfigError(
      `listener ${listenerName} is ${config.securityProtocolMap.get(listenerName)} but no SASL mechanism Sluice has is enabled (sasl.enabled.mechanisms=${enabled.join(',') || '""'}); set e.g. sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512`,
    );
  }
  const num = (name: string): number => Number(config.listenerGet(listenerName, name));
  return {
    mechanisms,
    reauthMs: num('connections.max.reauth.ms'),
    failedAuthDelayMs: num('connection.failed.authentication.delay.ms'),
    maxReceiveBytes: num('sasl.server.max.receive.size'),
  };
}

/** How this node connects to another node's listener (NodeClient's tls and sasl options). */
export interface ClientSecurity {
  readonly tls?: ConnectionOptions;
  readonly sasl?: () => SaslClient;
}

/**
 * This broker as a client of `listenerName` on other nodes: the inter-broker listener (with
 * sasl.mechanism.inter.broker.protocol) or the controllers' (sasl.mechanism.controller.protocol).
 * As in Kafka, the listener's own ssl.* configs serve both ways: its trust store checks the other
 * node's certificate, its key store is this node's client certificate; its JAAS config's
 * username/password are this node's SASL credentials.
 */
export function clientSecurity(
  config: BrokerConfig,
  listenerName: string,
  mechanismConfig: 'sasl.mechanism.inter.broker.protocol' | 'sasl.mechanism.controller.protocol',
  opts: { lazy?: boolean } = {},
): ClientSecurity {
  const protocol = config.securityProtocolMap.get(listenerName) ?? 'PLAINTEXT';
  const out: { tls?: ConnectionOptions; sasl?: () => SaslClient } = {};
  if (usesTls(protocol)) {
    const { key, cert, pfx, passphrase, ca, minVersion, maxVersion, ciphers } = tlsListener(config, listenerName).options;
    out.tls = { key, cert, pfx, passphrase, ca, minVersion, maxVersion, ciphers };
    // ssl.endpoint.identification.algorithm="" turns host name checking off, as in Kafka.
    if ((config.listenerGet(listenerName, 'ssl.endpoint.identification.algorithm') ?? '') === '') out.tls = { ...out.tls, checkServerIdentity: () => undefined };
  }
  if (needsSasl(protocol)) {
    const mechanism = config.get(mechanismConfig) ?? 'GSSAPI';
    const make = (): (() => SaslClient) => saslClientFactory((n) => config.listenerGet(listenerName, n, mechanism), listenerName, mechanism, mechanismConfig);
    if (opts.lazy) {
      // A single broker never connects to another: its start must not need credentials for it.
      // The problem surfaces, with the same message, when a connection is first made.
      let factory: (() => SaslClient) | null = null;
      out.sasl = () => (factory ??= make())();
    } else {
      out.sasl = make();
    }
  }
  return out;
}
