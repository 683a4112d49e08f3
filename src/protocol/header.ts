/**
 * Request and response headers (Kafka RequestHeader v1/v2, ResponseHeader v0/v1).
 *
 * Request header v1: api_key int16, api_version int16, correlation_id int32, client_id
 * NULLABLE_STRING (int16 length even in v2, so any broker can read any ApiVersions header).
 * v2 adds a tagged-field section after client_id; it is used when the request version is flexible.
 * Response header v0: correlation_id int32; v1 adds a tagged-field section, used for flexible
 * responses except ApiVersions, which always answers with v0 (KIP-511).
 */
import { Reader, Writer } from './wire.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fixed part of the header (through client_id). The caller reads v2's tags. */
export function decodeRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, headerVersion: 1 | 2): void {
  w.int16(h.apiKey);
  w.int16(h.apiVersion);
  w.int32(h.correlationId);
  w.nullableString(h.clientId);
  if (headerVersion === 2) w.taggedFields();
}

/**
 * Byte fields of a response at least this long (the records of a fetch, read from the log into a
 * buffer of their own) go to the socket as they are instead of being copied into the frame: on a
 * consume of 1 KiB records that copy, with the frame buffer's growth, was as much CPU as the pread.
 */
export const RESPONSE_REFERENCE_BYTES_MIN = 32 * 1024;

/**
 * Builds a whole response frame: int32 size, header, body, as the buffers to write in order (see
 * Writer: large byte fields are referenced, not copied). The size is patched in at the end, so the
 * body is written once, straight into the frame.
 */
export function encodeResponseFrame(correlationId: number, headerVersion: 0 | 1, writeBody: (w: Writer) => void, sizeHint = 256): Buffer[] {
  const w = new Writer(sizeHint, RESPONSE_REFERENCE_BYTES_MIN);
  w.int32(0);
  w.int32(correlationId);
  if (headerVersion === 1) w.taggedFields();
  writeBody(w);
  const size = w.length - 4;
  const pieces = w.finishPieces();
  // The first piece is always own bytes holding at least the size and the correlation id.
  pieces[0]!.writeInt32BE(size, 0);
  return pieces;
}
