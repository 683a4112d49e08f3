/**
 * The SASL exchange of one connection on a SASL listener (SASL_PLAINTEXT, SASL_SSL), as Kafka's
 * SaslServerAuthenticator runs it, and re-authentication (KIP-368) as its KafkaChannel does.
 *
 * States: HANDSHAKE (ApiVersions and SaslHandshake allowed) -> AUTHENTICATE (SaslAuthenticate
 * requests, after a v1 handshake) or RAW (size-prefixed bare tokens with no Kafka header, after a
 * v0 handshake: what kafka-python and pre-KIP-152 clients send) -> COMPLETE. Any other request
 * before COMPLETE closes the connection, as Kafka does ("Unexpected Kafka request of type ... during
 * SASL handshake"). An unknown mechanism is answered UNSUPPORTED_SASL_MECHANISM with the enabled
 * list, then the connection closes; a failed authentication is answered
 * SASL_AUTHENTICATION_FAILED with the mechanism's message after connection.failed.authentication.delay.ms,
 * then closes (a raw-mode client gets no answer: the v0 framing has no place for an error).
 *
 * Re-authentication: a session has an end when connections.max.reauth.ms > 0 or the credential
 * expires (an OAUTHBEARER token); SaslAuthenticate v1+ tells the client its remaining lifetime. A
 * client re-authenticates by sending SaslHandshake again on the same
 * connection (same mechanism, same principal, or the connection closes), at most once a second.
 * A request other than SaslHandshake after the session's end closes the connection. On a session
 * that does not end, a later SaslHandshake goes to the ordinary handler (ILLEGAL_SASL_STATE), as
 * in Kafka.
 *
 * Frames before COMPLETE may be at most sasl.server.max.receive.size bytes (Kafka's bound on
 * unauthenticated input); the connection checks that before reading the frame.
 */
import { ErrorCode } from '../protocol/errors.js';
import { EMPTY } from '../protocol/wire.js';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../protocol/generated/17-sasl-handshake.js';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../protocol/generated/36-sasl-authenticate.js';
import type { SaslMechanism, SaslServer } from '../auth/sasl.js';
import type { MutableSession } from '../auth/session.js';

const SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const SASL_AUTHENTICATE = 36;

/** How one SASL listener authenticates (built from its config at start). */
export interface SaslListenerConfig {
  /** The enabled mechanisms by name, in sasl.enabled.mechanisms order. */
  readonly mechanisms: ReadonlyMap<string, SaslMechanism>;
  /** connections.max.reauth.ms; 0: sessions do not end (unless the credential does). */
  readonly reauthMs: number;
  /** connection.failed.authentication.delay.ms */
  readonly failedAuthDelayMs: number;
  /** sasl.server.max.receive.size: the largest frame before authentication completes. */
  readonly maxReceiveBytes: number;
}

/** What the connection does with a request on a SASL listener. */
export type SaslVerdict =
  /** Not for the authenticator: dispatch it to its handler. */
  | { readonly kind: 'pass' }
  /** Answer with this response body (the API's own codec), then close if `close` says so. */
  | { readonly kind: 'answer'; readonly response: SaslHandshakeResponse | SaslAuthenticateResponse; readonly close?: { readonly reason: string; readonly delayMs: number } }
  | { readonly kind: 'close'; readonly reason: string };

/** What the connection does with a raw token (after a v0 handshake). */
export type RawVerdict = { readonly kind: 'answer'; readonly token: Buffer } | { readonly kind: 'close'; readonly reason: string; readonly delayMs: number };

type State = 'handshake' | 'authenticate' | 'raw' | 'complete' | 'failed';

const API_NAMES: Record<number, string> = { 0: 'PRODUCE', 1: 'FETCH', 3: 'METADATA', 36: 'SASL_AUTHENTICATE' };

export class SaslAuthenticator {
  private state: State = 'handshake';
  private server: SaslServer | null = null;
  /** The session's end (epoch ms); null: it does not end. */
  private expiresAtMs: number | null = null;
  /** When the last re-authentication began (epoch ms); Kafka allows one a second. */
  private lastReauthStartMs: number | null = null;
  /** Set during a re-authentication: what the session was, which must not change. */
  private reauthOf: { principal: string; mechanism: string } | null = null;
  /** The mechanism's own account of a failure, for the log only. */
  private failureDetail: string | null = null;

  constructor(
    private readonly config: SaslListenerConfig,
    private readonly session: MutableSession,
    private readonly now: () => number = Date.now,
  ) {}

  /** No request but ApiVersions and the SASL ones has been allowed yet. */
  get authenticated(): boolean {
    return this.state === 'complete' || this.reauthOf !== null;
  }

  /** The next frames are bare SASL tokens (a v0 handshake was answered). */
  get rawMode(): boolean {
    return this.state === 'raw';
  }

  /** The largest frame the connection may read now. */
  frameBytesMax(requestMaxBytes: number): number {
    return this.state === 'complete' ? requestMaxBytes : Math.min(requestMaxBytes, this.config.maxReceiveBytes);
  }

  onRequest(apiKey: number, apiVersion: number, request: unknown): SaslVerdict {
    if (this.state === 'complete') {
      if (apiKey === SASL_HANDSHAKE && this.mayReauthenticate()) return this.beginReauthentication(apiVersion, request as SaslHandshakeRequest);
      if (this.expiresAtMs !== null && this.now() > this.expiresAtMs) return { kind: 'close', reason: `its SASL session of ${this.session.principal} expired and it did not re-authenticate (KIP-368)` };
      return { kind: 'pass' };
    }
    if (this.state === 'handshake') {
      if (apiKey === API_VERSIONS && this.reauthOf === null) return { kind: 'pass' };
      if (apiKey === SASL_HANDSHAKE) return this.handshake(apiVersion, request as SaslHandshakeRequest);
    }
    if (this.state === 'authenticate' && apiKey === SASL_AUTHENTICATE) return this.authenticate(apiVersion, request as SaslAuthenticateRequest);
    if (this.state === 'authenticate' && apiKey === SASL_HANDSHAKE) {
      // Kafka answers a second handshake with its error response, then closes after the
      // failed-authentication delay (SaslServerAuthenticator: IllegalSaslStateException).
      this.state = 'failed';
      return {
        kind: 'answer',
        response: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] },
        close: { reason: 'unexpected Kafka request of type SASL_HANDSHAKE during SASL authentication', delayMs: this.config.failedAuthDelayMs },
      };
    }
    const name = API_NAMES[apiKey] ?? `API key ${apiKey}`;
    return { kind: 'close', reason: `unexpected Kafka request of type ${name} during SASL ${this.state === 'authenticate' ? 'authentication' : 'handshake'}` };
  }

  onRawToken(token: Buffer): RawVerdict {
    const step = this.evaluate(token);
    if (step.kind === 'failed') return { kind: 'close', reason: `${step.message}${this.detail()}`, delayMs: this.config.failedAuthDelayMs };
    return { kind: 'answer', token: step.response };
  }

  private detail(): string {
    return this.failureDetail === null ? '' : ` (${this.failureDetail})`;
  }

  /**
   * Kafka's KafkaChannel.maybeBeginServerReauthentication: only a session that ends may be
   * renewed, at most once a second; otherwise the SaslHandshake goes to its handler
   * (ILLEGAL_SASL_STATE) and the connection stays.
   */
  private mayReauthenticate(): boolean {
    if (this.expiresAtMs === null) return false;
    const nowMs = this.now();
    if (this.lastReauthStartMs !== null && nowMs - this.lastReauthStartMs < 1000) return false;
    this.lastReauthStartMs = nowMs;
    return true;
  }

  private beginReauthentication(apiVersion: number, req: SaslHandshakeRequest): SaslVerdict {
    this.reauthOf = { principal: this.session.principal, mechanism: this.session.saslMechanism ?? '' };
    this.state = 'handshake';
    return this.handshake(apiVersion, req);
  }

  private handshake(apiVersion: number, req: SaslHandshakeRequest): SaslVerdict {
    const enabled = [...this.config.mechanisms.keys()];
    const mechanism = this.config.mechanisms.get(req.mechanism);
    if (!mechanism) {
      this.state = 'failed';
      return {
        kind: 'answer',
        response: { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled },
        close: { reason: `SASL mechanism ${JSON.stringify(req.mechanism)} is not enabled (enabled: ${enabled.join(', ')})`, delayMs: 0 },
      };
    }
    if (this.reauthOf !== null && req.mechanism !== this.reauthOf.mechanism) {
      this.state = 'failed';
      return {
        kind: 'answer',
        response: { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [this.reauthOf.mechanism] },
        close: { reason: `re-authentication changed the SASL mechanism from ${this.reauthOf.mechanism} to ${req.mechanism}`, delayMs: 0 },
      };
    }
    this.server = mechanism.create({ listenerName: this.session.listenerName, clientAddress: this.session.clientAddress, reauthentication: this.reauthOf !== null });
    this.state = apiVersion === 0 ? 'raw' : 'authenticate';
    return { kind: 'answer', response: { errorCode: ErrorCode.NONE, mechanisms: enabled } };
  }

  private authenticate(apiVersion: number, req: SaslAuthenticateRequest): SaslVerdict {
    const step = this.evaluate(req.authBytes);
    if (step.kind === 'failed') {
      return {
        kind: 'answer',
        response: { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.message, authBytes: step.response ?? EMPTY, sessionLifetimeMs: 0n },
        close: { reason: `SASL authentication failed: ${step.message}${this.detail()}`, delayMs: this.config.failedAuthDelayMs },
      };
    }
    const lifetimeMs = this.state === 'complete' && this.expiresAtMs !== null ? Math.max(0, this.expiresAtMs - this.now()) : 0;
    return { kind: 'answer', response: { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: BigInt(lifetimeMs) } };
  }

  /** One token through the mechanism; on completion the session takes the principal. */
  private evaluate(token: Buffer): { kind: 'continue' | 'complete'; response: Buffer } | { kind: 'failed'; message: string; response?: Buffer } {
    const server = this.server;
    if (server === null) return { kind: 'failed', message: 'no SASL mechanism was chosen' };
    let step;
    try {
      step = server.evaluate(token);
    } catch (err) {
      step = { kind: 'failed' as const, message: `Authentication failed: ${(err as Error).message}` };
    }
    if (step.kind === 'failed') {
      this.state = 'failed';
      this.failureDetail = server.failureReason ?? null;
      return step;
    }
    if (step.kind === 'continue') return step;
    if (this.reauthOf !== null && step.principal !== this.reauthOf.principal) {
      this.state = 'failed';
      // Kafka prints each principal as type.name ("User.alice").
      const dotted = (p: string): string => p.replace(':', '.');
      return { kind: 'failed', message: `Cannot change principals during re-authentication from ${dotted(this.reauthOf.principal)}: ${dotted(step.principal)}` };
    }
    this.session.principal = step.principal;
    this.session.saslMechanism = server.mechanism;
    this.server = null;
    this.reauthOf = null;
    this.state = 'complete';
    const nowMs = this.now();
    const ends = [this.config.reauthMs > 0 ? nowMs + this.config.reauthMs : Infinity, step.credentialExpiresMs ?? Infinity];
    const end = Math.min(...ends);
    this.expiresAtMs = Number.isFinite(end) ? end : null;
    return step;
  }
}
