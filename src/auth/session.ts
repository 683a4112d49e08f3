/**
 * What a connection knows about who is on the other end: the listener it came in on, that
 * listener's security protocol, the authenticated principal, the SASL exchange in progress, and
 * the client software it named in ApiVersions (KIP-511). Handlers see it read-only through their
 * RequestContext; only the connection (and its SASL authenticator) changes it.
 *
 * Principals are Kafka's strings, "User:<name>": "User:ANONYMOUS" on a PLAINTEXT listener and on
 * an SSL one without a client certificate, the certificate's mapped name with one (Kafka's
 * DefaultKafkaPrincipalBuilder), the SASL user once authenticated.
 *
 * It lives in auth/ rather than net/ because handlers (api/) and the authorizer read it, and
 * imports flow downward (STYLE.md): net/ fills it in, everything below only reads it.
 */
import type { SecurityProtocol } from '../config/kraft.js';

export const ANONYMOUS = 'User:ANONYMOUS';

export interface Session {
  /** The listener name, upper-case ("PLAINTEXT", "SASL_SSL", "CONTROLLER", ...). */
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  /** The client's address without the leading slash, e.g. "127.0.0.1" (ACL host matching). */
  readonly clientAddress: string;
  /** Kafka's principal string, "User:<name>". */
  readonly principal: string;
  /** From ApiVersions v3+ (null until then, or for older clients). */
  readonly clientSoftwareName: string | null;
  readonly clientSoftwareVersion: string | null;
  /** The SASL mechanism the principal authenticated with; null when none. */
  readonly saslMechanism: string | null;
}

/** The connection's own, writable view. */
export type MutableSession = { -readonly [K in keyof Session]: Session[K] };

export function newSession(listenerName: string, securityProtocol: SecurityProtocol, clientAddress: string): MutableSession {
  return { listenerName, securityProtocol, clientAddress, principal: ANONYMOUS, clientSoftwareName: null, clientSoftwareVersion: null, saslMechanism: null };
}

/** A SASL listener (SASL_PLAINTEXT, SASL_SSL): clients must authenticate before anything else. */
export function needsSasl(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

/** A TLS listener (SSL, SASL_SSL). */
export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}
