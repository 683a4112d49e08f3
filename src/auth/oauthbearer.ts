/**
 * SASL/OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer does it, with a pluggable token
 * validator; the one implemented is Kafka's unsecured-JWS validator for development
 * (OAuthBearerUnsecuredValidatorCallbackHandler, OAuthBearerUnsecuredJws).
 *
 * Exchange. The client's initial response is GS2 header, then key=value pairs each ended by ^A
 * (0x01), then a final ^A:
 *
 *   n,[a=<authzid>],^Aauth=Bearer <token>^A[<ext>=<value>^A]*^A
 *
 * A token the validator accepts completes at once (empty response), with the token's expiry as
 * the session's credential lifetime (KIP-368). A token it refuses is answered with a JSON error
 * token, `{"status":"invalid_token"}` (or `insufficient_scope` with the required scope); the
 * client then sends a lone ^A and only then does the server fail, with that JSON as the message.
 * Anything else after the error token starts over as a new initial response, as in Kafka.
 *
 * A malformed initial response is a SaslException in Kafka, whose text is never shown to the
 * client: it gets "Authentication failed during authentication due to invalid credentials with
 * SASL mechanism OAUTHBEARER". An authorization id other than the token's principal and invalid
 * extensions fail with Kafka's detailed messages.
 *
 * Unsecured JWS, checked in Kafka's order: no "..", three dot-separated parts, header and claims
 * Base64 then JSON objects, header "alg" = "none", empty signature, scope claim a string or list,
 * "exp" a number (seconds), the principal claim a non-blank string, "iat" a number if present;
 * then iat not after now + skew, now - skew before exp, exp after iat, required scope present.
 * Kafka decodes the parts with Java's basic Base64 decoder (not the URL-safe one, although its own
 * login module encodes URL-safe): a part holding '-' or '_' is refused there, so it is here.
 * Options, from the single entry of the listener's JAAS config for OAUTHBEARER:
 * unsecuredValidatorPrincipalClaimName (default "sub"), unsecuredValidatorScopeClaimName
 * ("scope"), unsecuredValidatorRequiredScope (space-separated), unsecuredValidatorAllowableClockSkewMs
 * (default 0). Kafka checks the last two at each authentication; we check them at startup.
 *
 * Differences from Kafka: a header without "alg", or whose JSON is not an object, throws a
 * NullPointerException in Kafka (the connection closes without an answer); here it is an ordinary
 * invalid_token. Likewise a scheme other than "Bearer" (Kafka trips on its own message's format
 * and closes) is the generic invalid-credentials failure here. Kafka's regex overflows the JVM's
 * stack on a first message with a couple of thousand extensions; ours is parsed in one pass. An
 * "exp" beyond 2^53 ms is capped there (Kafka caps at 2^63). Validated extensions are not kept
 * (nothing in Sluice reads them yet).
 */
import { ConfigError } from '../config/config-error.js';
import { checkServerCallbackHandler, jaasConfigKey, listenerJaasEntry, parseServerJaasConfig, type ListenerConfigLookup } from './jaas.js';
import { saslInvalidCredentialsMessage, type SaslContext, type SaslMechanism, type SaslServer, type SaslStep } from './sasl.js';

export const OAUTHBEARER = 'OAUTHBEARER';

/** A validated bearer token. */
export interface OAuthBearerToken {
  /** The principal's name, without "User:". */
  readonly principalName: string;
  /** When the token expires, epoch ms. */
  readonly lifetimeMs: number;
  /** When it was issued, epoch ms, if it says. */
  readonly startTimeMs: number | null;
  readonly scope: ReadonlySet<string>;
}

export type TokenValidation =
  | { readonly ok: true; readonly token: OAuthBearerToken }
  | {
    readonly ok: false;
    /** RFC 7628 error status sent to the client: "invalid_token", "insufficient_scope", ... */
    readonly status: string;
    /** The required scope, for insufficient_scope. */
    readonly scope?: string;
    readonly openidConfiguration?: string;
    /** Why, for the broker's log only: never sent to the client. */
    readonly reason: string;
  };

/**
 * Turns a bearer token into a principal, or refuses it. The unsecured JWS validator is the one
 * implementation; a JWKS validator (Kafka's OAuthBearerValidatorCallbackHandler) fits here.
 */
export interface TokenValidator {
  validate(tokenValue: string, nowMs: number): TokenValidation;
  /** Extensions refused, name -> why; none when absent (both of Kafka's validators accept all). */
  invalidExtensions?(token: OAuthBearerToken, extensions: ReadonlyMap<string, string>): ReadonlyMap<string, string>;
}

// ---------------------------------------------------------------------------------------------
// The client's initial response (OAuthBearerClientInitialResponse).

/** Java's \w is [a-zA-Z_0-9]; the token is RFC 6750's b64token. */
const AUTH = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

const isKeyChar = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isValueChar = (c: number): boolean => (c >= 0x21 && c <= 0x7e) || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
/** RFC 7628 saslname: any 7-bit char but NUL, ',' and '='; or the escapes =2C and =3D, which Kafka keeps as they are. */
const isSaslNameChar = (c: number): boolean => c >= 0x01 && c <= 0x7f && c !== 0x2c && c !== 0x3d;

/**
 * Kafka's pattern `n,(a=<saslname>)?,^A(<key>=<value>^A)*^A`, matched whole, by hand: every
 * alternative starts with a different char, so one pass decides, with no regex backtracking
 * (V8's overflows its stack on a token of a few megabytes, Java's on a few thousand pairs).
 * Returns the authzid and the key=value pairs' text, or null.
 */
function matchClientInitialResponse(m: string): { authzid: string; pairs: string } | null {
  if (!m.startsWith('n,')) return null;
  let pos = 2;
  let authzid = '';
  if (m.startsWith('a=', pos)) {
    const start = pos + 2;
    pos = start;
    for (;;) {
      if (pos < m.length && isSaslNameChar(m.charCodeAt(pos))) pos++;
      else if (m.startsWith('=2C', pos) || m.startsWith('=3D', pos)) pos += 3;
      else break;
    }
    if (pos === start) return null;
    authzid = m.slice(start, pos);
  }
  if (m.charCodeAt(pos) !== 0x2c || m.charCodeAt(pos + 1) !== 0x01) return null;
  pos += 2;
  const pairsStart = pos;
  while (pos !== m.length - 1) {
    const keyStart = pos;
    while (pos < m.length && isKeyChar(m.charCodeAt(pos))) pos++;
    if (pos === keyStart || m.charCodeAt(pos) !== 0x3d) return null;
    const valueStart = ++pos;
    while (pos < m.length && isValueChar(m.charCodeAt(pos))) pos++;
    if (pos === valueStart || m.charCodeAt(pos) !== 0x01) return null;
    pos++;
  }
  if (m.charCodeAt(pos) !== 0x01) return null;
  return { authzid, pairs: m.slice(pairsStart, pos) };
}

export interface ClientInitialResponse {
  readonly authorizationId: string;
  readonly tokenValue: string;
  /** SASL extensions: every key=value pair but auth. */
  readonly extensions: ReadonlyMap<string, string>;
}

/** The parsed message, or why it is malformed (Kafka's SaslException text, for the log). */
export function parseClientInitialResponse(bytes: Buffer): ClientInitialResponse | { readonly error: string } {
  const m = matchClientInitialResponse(bytes.toString('utf8'));
  if (m === null) return { error: 'Invalid OAUTHBEARER client first message' };
  const properties = new Map<string, string>();
  for (const pair of m.pairs.split('\x01')) {
    if (pair === '') continue; // the split's trailing piece
    const eq = pair.indexOf('=');
    properties.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const auth = properties.get('auth');
  if (auth === undefined) return { error: "Invalid OAUTHBEARER client first message: 'auth' not specified" };
  properties.delete('auth');
  const a = AUTH.exec(auth);
  if (a === null) return { error: "Invalid OAUTHBEARER client first message: invalid 'auth' format" };
  if (a[1]!.toLowerCase() !== 'bearer') return { error: `Invalid scheme in OAUTHBEARER client first message: ${a[1]}` };
  return { authorizationId: m.authzid, tokenValue: a[2]!, extensions: properties };
}

// ---------------------------------------------------------------------------------------------
// The server.

/** The JSON error token, formatted as Kafka does (no escaping; ", " between members). */
export function oauthJsonError(status: string, scope?: string, openidConfiguration?: string): string {
  let json = `{"status":"${status}"`;
  if (scope !== undefined) json += `, "scope":"${scope}"`;
  if (openidConfiguration !== undefined) json += `, "openid-configuration":"${openidConfiguration}"`;
  return `${json}}`;
}

class OAuthBearerServer implements SaslServer {
  readonly mechanism = OAUTHBEARER;
  /** The JSON error sent last, awaiting the client's ^A. */
  private errorMessage: string | null = null;

  constructor(
    private readonly ctx: SaslContext,
    private readonly validator: TokenValidator,
    private readonly now: () => number,
  ) {}

  evaluate(token: Buffer): SaslStep {
    if (token.length === 1 && token[0] === 0x01 && this.errorMessage !== null) {
      return { kind: 'failed', message: this.errorMessage };
    }
    this.errorMessage = null;
    const response = parseClientInitialResponse(token);
    if ('error' in response) return { kind: 'failed', message: saslInvalidCredentialsMessage(OAUTHBEARER, this.ctx) };
    const validation = this.validator.validate(response.tokenValue, this.now());
    if (!validation.ok) {
      this.errorMessage = oauthJsonError(validation.status, validation.scope, validation.openidConfiguration);
      return { kind: 'continue', response: Buffer.from(this.errorMessage, 'utf8') };
    }
    const principalName = validation.token.principalName;
    if (response.authorizationId !== '' && response.authorizationId !== principalName) {
      return {
        kind: 'failed',
        message: `Authentication failed: Client requested an authorization id (${response.authorizationId}) that is different from the token's principal name (${principalName})`,
      };
    }
    const invalid = this.validator.invalidExtensions?.(validation.token, response.extensions);
    if (invalid !== undefined && invalid.size > 0) {
      const list = [...invalid].map(([name, why]) => `${name}: ${why}`).join('; ');
      return { kind: 'failed', message: `Authentication failed: ${invalid.size} extensions are invalid! They are: ${list}` };
    }
    return {
      kind: 'complete',
      response: Buffer.alloc(0),
      principal: `User:${principalName}`,
      credentialExpiresMs: validation.token.lifetimeMs,
    };
  }
}

export interface OAuthBearerOptions {
  readonly validator: TokenValidator;
  /** Epoch ms; Date.now unless a test sets it. */
  readonly now?: () => number;
}

export function oauthBearerMechanism(options: OAuthBearerOptions): SaslMechanism {
  const now = options.now ?? Date.now;
  return {
    name: OAUTHBEARER,
    create(ctx: SaslContext): SaslServer {
      return new OAuthBearerServer(ctx, options.validator, now);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The unsecured JWS validator.

/** Java's String.trim: chars <= ' ' at either end. */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}
const isBlank = (s: string | undefined | null): boolean => s === undefined || s === null || javaTrim(s) === '';

/** A claim as Kafka keeps it: numbers stay numbers, arrays become lists of text, the rest text. */
type Claim = number | string | readonly string[];

/** Jackson's JsonNode.asText for what JSON.parse gives. */
function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return ''; // objects and arrays
}

function convert(v: unknown): Claim {
  if (Array.isArray(v)) return v.map(asText);
  return typeof v === 'number' ? v : asText(v);
}

/** The Java class Kafka's messages name for a claim's type. */
function javaTypeName(v: Claim): string {
  if (typeof v === 'string') return 'String';
  if (typeof v !== 'number') return 'ArrayList';
  if (!Number.isInteger(v)) return 'Double';
  if (Math.abs(v) <= 0x7fffffff) return 'Integer';
  return Number.isSafeInteger(v) ? 'Long' : 'BigInteger';
}

class IllegalToken extends Error {
  constructor(reason: string, readonly failureScope?: string) {
    super(reason);
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Java's Base64.getDecoder() without padding (the bearer token's syntax leaves no '=' in these parts). */
const BASIC_BASE64 = /^[A-Za-z0-9+/]*$/;

function toMap(part: string): Map<string, Claim> {
  if (!BASIC_BASE64.test(part) || part.length % 4 === 1) throw new IllegalToken('malformed Base64 URL encoded value');
  let json: unknown;
  try {
    json = JSON.parse(STRICT_UTF8.decode(Buffer.from(part, 'base64')));
  } catch {
    throw new IllegalToken('malformed JSON');
  }
  const map = new Map<string, Claim>();
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    for (const [k, v] of Object.entries(json)) map.set(k, convert(v));
  }
  return map;
}

function claimOf(claims: ReadonlyMap<string, Claim>, name: string, type: 'Number'): number | null;
function claimOf(claims: ReadonlyMap<string, Claim>, name: string, type: 'String'): string | null;
function claimOf(claims: ReadonlyMap<string, Claim>, name: string, type: 'List'): readonly string[] | null;
function claimOf(claims: ReadonlyMap<string, Claim>, name: string, type: 'Number' | 'String' | 'List'): Claim | null {
  const v = claims.get(name);
  if (v === undefined) return null;
  const actual = typeof v === 'number' ? 'Number' : typeof v === 'string' ? 'String' : 'List';
  if (actual !== type) throw new IllegalToken(`The '${name}' claim was not of type ${type}: ${javaTypeName(v)}`);
  return v;
}

/** Java's %f: six decimals. */
const f6 = (n: number): string => n.toFixed(6);

/** Java's Math.round to a long, kept within what a JS number holds exactly. */
const secondsToMs = (s: number): number => Math.min(Math.max(Math.round(s * 1000), -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);

export interface UnsecuredValidatorOptions {
  readonly principalClaimName: string;
  readonly scopeClaimName: string;
  readonly requiredScope: readonly string[];
  readonly allowableClockSkewMs: number;
}

/** One unsecured JWS checked as Kafka's constructor and validator callback check it. */
function validateUnsecured(value: string, o: UnsecuredValidatorOptions, nowMs: number): OAuthBearerToken {
  if (value.includes('..')) throw new IllegalToken("Malformed compact serialization contains '..'");
  const splits = value.split('.');
  while (splits.length > 0 && splits[splits.length - 1] === '') splits.pop(); // Java's split drops trailing empties
  if (value.endsWith('.')) splits.push('');
  if (splits.length !== 3) throw new IllegalToken('Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values');
  const header = toMap(splits[0]!);
  const claims = toMap(splits[1]!);
  const alg = header.get('alg');
  if (alg === undefined) throw new IllegalToken('JWS header must have an Algorithm value');
  if (String(alg) !== 'none') throw new IllegalToken("Unsecured JWS must have 'none' for an algorithm");
  if (splits[2] !== '') throw new IllegalToken('Unsecured JWS must not contain a digital signature');

  // Scope: a string is one scope item (even with spaces in it); else a list of them.
  let scope: Set<string>;
  const scopeClaim = claims.get(o.scopeClaimName);
  if (typeof scopeClaim === 'string') {
    scope = isBlank(scopeClaim) ? new Set() : new Set([javaTrim(scopeClaim)]);
  } else {
    const list = claimOf(claims, o.scopeClaimName, 'List') ?? [];
    scope = new Set(list.filter((s) => !isBlank(s)).map(javaTrim));
  }
  const exp = claimOf(claims, 'exp', 'Number');
  if (exp === null) throw new IllegalToken('No expiration time in JWT');
  const principalName = claimOf(claims, o.principalClaimName, 'String');
  if (principalName === null || isBlank(principalName)) throw new IllegalToken(`No principal name in JWT claim: ${o.principalClaimName}`);
  const iat = claimOf(claims, 'iat', 'Number');

  const skew = o.allowableClockSkewMs;
  if (iat !== null && 1000 * iat > nowMs + skew) {
    throw new IllegalToken(`The Issued At value (${f6(iat)} seconds) was after the indicated time (${nowMs} ms) plus allowable clock skew (${skew} ms)`);
  }
  if (nowMs - skew >= 1000 * exp) {
    throw new IllegalToken(`The indicated time (${nowMs} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${f6(exp)} seconds)`);
  }
  if (iat !== null && exp <= iat) {
    throw new IllegalToken(`The Expiration Time time (${f6(exp)} seconds) was not after the Issued At time (${f6(iat)} seconds)`);
  }
  for (const required of o.requiredScope) {
    if (!scope.has(required)) {
      const all = `[${o.requiredScope.join(', ')}]`;
      throw new IllegalToken(
        `The provided scope ([${[...scope].join(', ')}]) was missing a required scope (${required}).  All required scope elements: ${all}`,
        all,
      );
    }
  }
  return { principalName, lifetimeMs: secondsToMs(exp), startTimeMs: iat === null ? null : secondsToMs(iat), scope };
}

/** Kafka's unsecured JWS validator: for development only, it trusts any well-formed token. */
export function unsecuredJwsValidator(options: UnsecuredValidatorOptions): TokenValidator {
  return {
    validate(tokenValue, nowMs) {
      try {
        return { ok: true, token: validateUnsecured(tokenValue, options, nowMs) };
      } catch (e) {
        if (!(e instanceof IllegalToken)) throw e;
        return e.failureScope !== undefined
          ? { ok: false, status: 'insufficient_scope', scope: e.failureScope, reason: e.message }
          : { ok: false, status: 'invalid_token', reason: e.message };
      }
    },
  };
}

/** A scope item: RFC 6749's NQCHAR run (Kafka's OAuthBearerScopeUtils). */
const SCOPE_ITEM = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The validator's options from JAAS options (unsecuredValidator*), refused with a ConfigError as
 * Kafka would refuse them at the first authentication.
 */
export function unsecuredValidatorOptions(jaasOptions: ReadonlyMap<string, string>, source = 'sasl.jaas.config'): UnsecuredValidatorOptions {
  const opt = (name: string): string | undefined => jaasOptions.get(`unsecuredValidator${name}`);
  const principal = opt('PrincipalClaimName');
  const scopeName = opt('ScopeClaimName');
  const requiredText = opt('RequiredScope');
  const requiredScope: string[] = [];
  if (!isBlank(requiredText)) {
    for (const item of javaTrim(requiredText!).split(' ')) {
      if (item === '') continue;
      if (!SCOPE_ITEM.test(item)) throw new ConfigError(`${source}: unsecuredValidatorRequiredScope: Invalid scope value: ${item}`);
      requiredScope.push(item);
    }
  }
  const skewText = opt('AllowableClockSkewMs');
  let allowableClockSkewMs = 0;
  if (!isBlank(skewText)) {
    const t = javaTrim(skewText!);
    const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isInteger(n) || n > 0x7fffffff || n < -0x80000000) {
      throw new ConfigError(`${source}: unsecuredValidatorAllowableClockSkewMs: For input string: "${t}" (a whole number of milliseconds)`);
    }
    if (n < 0) throw new ConfigError(`${source}: Allowable clock skew millis must not be negative: ${skewText}`);
    allowableClockSkewMs = n;
  }
  return {
    principalClaimName: isBlank(principal) ? 'sub' : javaTrim(principal!),
    scopeClaimName: isBlank(scopeName) ? 'scope' : javaTrim(scopeName!),
    requiredScope,
    allowableClockSkewMs,
  };
}

/**
 * The unsecured validator for a listener, from its JAAS config for OAUTHBEARER, e.g.
 * `config.listenerGet(listener, 'sasl.jaas.config', 'OAUTHBEARER')`. Kafka reads the options of
 * the one entry whatever its login module.
 */
export function unsecuredValidatorFromJaas(jaasText: string, source = 'sasl.jaas.config'): TokenValidator {
  const entry = parseServerJaasConfig(jaasText, source);
  return unsecuredJwsValidator(unsecuredValidatorOptions(entry.options, source));
}

/** Kafka's default OAUTHBEARER server callback handler (unsecured JWS), the only one Sluice has. */
export const UNSECURED_VALIDATOR_CALLBACK_HANDLER = 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';

/**
 * OAUTHBEARER for one listener from its config, e.g.
 * `oauthBearerMechanismForListener((n) => config.listenerGet(listener, n, 'OAUTHBEARER'), listener)`.
 * A configured JWKS validator (Kafka's OAuthBearerValidatorCallbackHandler) is refused with a
 * ConfigError rather than replaced by the unsecured one, which would accept any token.
 */
export function oauthBearerMechanismForListener(lookup: ListenerConfigLookup, listenerName: string, now?: () => number): SaslMechanism {
  checkServerCallbackHandler(lookup, listenerName, OAUTHBEARER, [UNSECURED_VALIDATOR_CALLBACK_HANDLER]);
  const entry = listenerJaasEntry(lookup, listenerName, OAUTHBEARER);
  const validator = unsecuredJwsValidator(unsecuredValidatorOptions(entry.options, jaasConfigKey(listenerName, OAUTHBEARER)));
  return oauthBearerMechanism(now === undefined ? { validator } : { validator, now });
}
