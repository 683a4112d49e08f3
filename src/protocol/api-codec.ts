/**
 * The shape of a generated API codec (`src/protocol/generated/`), the request/response header
 * versions that go with a body version, and the few helpers the generated code calls.
 *
 * Decoding never throws on malformed input: it relies on the Reader's sticky error, and the caller
 * calls `r.check()` (or looks at `r.error`) once afterwards. Encoding throws only on caller bugs:
 * a version outside the codec's range, null where the version has no null, or a value in a field
 * that the version lacks and that Kafka does not allow to drop (a non-ignorable field).
 */

import { type Reader, Writer } from './wire.js';

export interface ApiCodec<Req, Res> {
  /** Kafka API key, e.g. 3. */
  readonly apiKey: number;
  /** Kafka API name without the Request/Response suffix, e.g. 'Metadata'. */
  readonly name: string;
  /** Lowest and highest defined version: the union of Kafka 3.9.1's and 4.1.1's valid versions. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version, or Infinity when the API is never flexible. */
  readonly flexibleMin: number;
  /** Decodes a request body (the bytes after the request header). */
  decodeRequest(r: Reader, version: number): Req;
  encodeRequest(w: Writer, version: number, m: Req): void;
  /** Decodes a response body (the bytes after the response header). */
  decodeResponse(r: Reader, version: number): Res;
  encodeResponse(w: Writer, version: number, m: Res): void;
  /** A request and a response with every field at its default (Kafka's rules): empty arrays, error code 0. */
  defaultRequest(): Req;
  defaultResponse(): Res;
}

const API_VERSIONS_KEY = 18;

/** Request header version for a body version: 2 (with tagged fields) when flexible, else 1. */
export function requestHeaderVersion(codec: ApiCodec<unknown, unknown>, version: number): 1 | 2 {
  return version >= codec.flexibleMin ? 2 : 1;
}

/**
 * Response header version: 1 when flexible, else 0. ApiVersions always answers with header v0,
 * because a client that sent a version the broker does not know must still be able to read the
 * error response (KIP-511).
 */
export function responseHeaderVersion(codec: ApiCodec<unknown, unknown>, version: number): 0 | 1 {
  if (codec.apiKey === API_VERSIONS_KEY) return 0;
  return version >= codec.flexibleMin ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Helpers for the generated code. Not meant for handlers.

/**
 * Reads `n` elements (n from `r.arrayCount`/`r.compactArrayCount`, so already checked against the
 * bytes left). A null array (-1) where the version has none is a decode error.
 */
export function readArray<T>(r: Reader, n: number, read: (r: Reader) => T): T[] {
  const out: T[] = [];
  if (n === -1) {
    r.fail('null array where the version has no null');
    return out;
  }
  for (let i = 0; i < n && r.error === null; i++) out.push(read(r));
  return out;
}

export function readNullableArray<T>(r: Reader, n: number, read: (r: Reader) => T): T[] | null {
  if (n === -1) return null;
  const out: T[] = [];
  for (let i = 0; i < n && r.error === null; i++) out.push(read(r));
  return out;
}

/** A nullable struct is preceded by one byte: -1 for null, 1 for present (as Kafka writes it). */
export function readNullableStruct<T>(r: Reader, read: (r: Reader) => T): T | null {
  return r.int8() < 0 ? null : read(r);
}

/** Encodes one tagged field's value into its own buffer. */
export function tagged(write: (w: Writer) => void): Buffer {
  const w = new Writer(32);
  write(w);
  return w.finish();
}

export function notNull<T>(value: T | null, field: string, version: number): T {
  if (value === null) throw new Error(`${field} is null, but version ${version} cannot encode null there`);
  return value;
}

/** The error for a non-ignorable field that holds a value the version cannot carry. */
export function absentField(field: string, version: number): Error {
  return new Error(`${field} is set, but version ${version} does not have this field (and it may not be dropped)`);
}

/** Deep equality over the values codecs produce: primitives, bigint, Buffer, arrays, plain objects. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

export function decodeVersion<T>(
  r: Reader,
  version: number,
  minVersion: number,
  decoders: ReadonlyArray<(r: Reader) => T>,
  fallback: () => T,
  what: string,
): T {
  const decode = decoders[version - minVersion];
  if (decode === undefined) {
    r.fail(`${what} version ${version} is not defined`);
    return fallback();
  }
  return decode(r);
}

export function encodeVersion<T>(
  w: Writer,
  version: number,
  minVersion: number,
  encoders: ReadonlyArray<(w: Writer, m: T, v: number) => void>,
  m: T,
  what: string,
): void {
  const encode = encoders[version - minVersion];
  if (encode === undefined) throw new Error(`${what} version ${version} is not defined`);
  encode(w, m, version);
}
