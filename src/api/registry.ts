/**
 * Handler registrations. Each file in src/api/ registers one API with the version range it serves;
 * ApiVersions is computed from these registrations, never hand-listed (STYLE.md principle 3).
 */
import type { ApiCodec } from '../protocol/api-codec.js';
import type { BrokerServices } from './context.js';
import type { Session } from '../auth/session.js';

export interface RequestContext {
  readonly broker: BrokerServices;
  /** The APIs the listener the request came in on serves (ApiVersions lists them). */
  readonly handlers: HandlerRegistry;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The client's address as Kafka shows it in group descriptions, e.g. "/127.0.0.1". */
  readonly clientHost: string;
  /**
   * Calls `listener` once when the connection closes (long polls stop waiting then). Returns a
   * function that removes the listener, so a finished request leaves nothing behind.
   */
  onClose(listener: () => void): () => void;
  /** Who sent the request: listener, security protocol, principal, client software (auth/session.ts). */
  readonly session: Session;
  /**
   * Grants up to bytesMax bytes for a response about to be built, from this connection's and the
   * broker's budget for responses clients have not read yet (0 when spent; net/connection.ts).
   * `returnResponseBytes` gives back what the response did not use. Fetch sizes its answer so.
   */
  takeResponseBytes(bytesMax: number): number;
  returnResponseBytes(bytes: number): void;
}

/**
 * Returned by a handler instead of a response: answer nothing and close the connection once the
 * answers before it are sent. Kafka does this for a Produce with acks=0 that failed, the only way
 * such a client learns of the error (KafkaApis.handleProduceRequest).
 */
export const CLOSE_CONNECTION: unique symbol = Symbol('close the connection');

/** What a handler returns: a response body, null for "send nothing" (Produce with acks=0), or CLOSE_CONNECTION. */
export type HandlerResult<Res> = Res | null | typeof CLOSE_CONNECTION | Promise<Res | null | typeof CLOSE_CONNECTION>;

export interface ApiHandler<Req = any, Res = any> {
  readonly codec: ApiCodec<Req, Res>;
  /** Versions served and advertised. Must lie inside the codec's range. */
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: Req, ctx: RequestContext): HandlerResult<Res>;
}

export class HandlerRegistry {
  private readonly byKey = new Map<number, ApiHandler>();
  /**
   * The ranges of an older Kafka release this registry advertises and accepts instead of its own
   * (control/kafka-version.ts): each is already the intersection with the handler's; an API
   * missing here is neither advertised nor served. Null: every handler's own range.
   */
  private restricted: ReadonlyMap<number, { minVersion: number; maxVersion: number }> | null = null;

  /** Advertise and accept only these ranges (null: the handlers' own again). */
  restrict(ranges: ReadonlyMap<number, { minVersion: number; maxVersion: number }> | null): void {
    this.restricted = ranges;
  }

  /** The versions of an API served now (a restriction applied), or null when it is not served. */
  range(apiKey: number): { minVersion: number; maxVersion: number } | null {
    const h = this.byKey.get(apiKey);
    if (!h) return null;
    if (this.restricted === null) return h;
    return this.restricted.get(apiKey) ?? null;
  }

  register<Req, Res>(h: ApiHandler<Req, Res>): void {
    const { codec } = h;
    if (h.minVersion < codec.minVersion || h.maxVersion > codec.maxVersion || h.minVersion > h.maxVersion) {
      throw new Error(`${codec.name}: handler range ${h.minVersion}-${h.maxVersion} outside codec range ${codec.minVersion}-${codec.maxVersion}`);
    }
    if (this.byKey.has(codec.apiKey)) throw new Error(`${codec.name}: registered twice`);
    this.byKey.set(codec.apiKey, h as ApiHandler);
  }

  /** Stops serving an API (a protocol the configuration turns off); it is no longer advertised. */
  unregister(apiKey: number): void {
    this.byKey.delete(apiKey);
  }

  /** Serves an API with another handler (a broker-only node forwards some to its controller). */
  replace<Req, Res>(h: ApiHandler<Req, Res>): void {
    const current = this.byKey.get(h.codec.apiKey);
    if (!current) throw new Error(`${h.codec.name}: nothing registered to replace`);
    this.byKey.set(h.codec.apiKey, h as ApiHandler);
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.byKey.get(apiKey);
  }

  /** The ApiVersions list, sorted by key. */
  advertised(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.byKey.values()]
      .flatMap((h) => {
        const r = this.range(h.codec.apiKey);
        return r ? [{ apiKey: h.codec.apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion }] : [];
      })
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
