/**
 * The server side of one SASL mechanism, as a connection drives it (Kafka's SaslServer).
 *
 * A connection on a SASL listener creates one SaslServer per authentication (the first, and each
 * re-authentication, KIP-368) for the mechanism the client chose in SaslHandshake, then feeds it
 * each client token (a SaslAuthenticate request's authBytes, or a raw size-prefixed token after a
 * v0 handshake) and sends back what it answers. Mechanisms are pure: no sockets, no timers; what
 * they need of the broker (users, SCRAM credentials, the clock) comes in through their factory.
 */

/** What one client token leads to. */
export type SaslStep =
  /** More is needed: send `response` and wait for the client's next token. */
  | { readonly kind: 'continue'; readonly response: Buffer }
  /**
   * Authenticated: send `response` (often empty). `principal` is Kafka's "User:<name>".
   * `credentialExpiresMs` (epoch ms) bounds the session (an OAUTHBEARER token's expiry, KIP-368).
   */
  | { readonly kind: 'complete'; readonly response: Buffer; readonly principal: string; readonly credentialExpiresMs?: number }
  /**
   * Refused: SASL_AUTHENTICATION_FAILED with `message`, Kafka's wording (what kafkajs and the
   * other clients show their users). `response` is sent where the mechanism defines an error
   * token (OAUTHBEARER's JSON status, SCRAM's "e=...").
   */
  | { readonly kind: 'failed'; readonly message: string; readonly response?: Buffer };

export interface SaslServer {
  readonly mechanism: string;
  evaluate(token: Buffer): SaslStep;
  /** Why the exchange failed, in more detail than the client is told (for the broker's log). */
  readonly failureReason?: string | null;
}

/** Where a SASL server is made: the listener and client a new authentication belongs to. */
export interface SaslContext {
  /** The listener name, upper-case, e.g. "SASL_SSL". */
  readonly listenerName: string;
  /** The client's address, e.g. "127.0.0.1". */
  readonly clientAddress: string;
  /** A re-authentication (KIP-368) of an authenticated connection: it words some failures. */
  readonly reauthentication?: boolean;
}

/**
 * What Kafka answers for a failure it will not detail (a SaslException that is not a
 * SaslAuthenticationException: a malformed token, an internal error), so as not to tell an
 * unauthenticated client whether a user exists (SaslServerAuthenticator).
 */
export function saslInvalidCredentialsMessage(mechanism: string, ctx: SaslContext): string {
  const what = ctx.reauthentication === true ? 're-authentication' : 'authentication';
  return `Authentication failed during ${what} due to invalid credentials with SASL mechanism ${mechanism}`;
}

export interface SaslMechanism {
  /** As clients name it in SaslHandshake: "PLAIN", "SCRAM-SHA-256", "OAUTHBEARER", ... */
  readonly name: string;
  create(ctx: SaslContext): SaslServer;
}

/**
 * The client side of a mechanism, for this broker authenticating to another node (inter-broker
 * and broker-to-controller connections on SASL listeners).
 */
export interface SaslClient {
  readonly mechanism: string;
  /** The first token (the client speaks first in PLAIN, SCRAM and OAUTHBEARER). */
  first(): Buffer;
  /**
   * The answer to the server's token; null when the client has nothing more to send (the
   * exchange is complete). Throws when the server's token is wrong (a SCRAM server signature).
   */
  next(serverToken: Buffer): Buffer | null;
}
