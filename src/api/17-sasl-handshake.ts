/**
 * SaslHandshake (key 17), versions 0-1, on a listener without SASL (the only kind Sluice has yet).
 *
 * Kafka's broker answers ILLEGAL_SASL_STATE here: on a PLAINTEXT listener the request reaches
 * KafkaApis, which has no authentication to begin, and says so rather than closing the
 * connection. A client configured for SASL then reports that error instead of "no brokers
 * available". The listed mechanisms stay empty: none is enabled. SASL itself is issue 13.
 */
import { ErrorCode } from '../protocol/errors.js';
import { SaslHandshake, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../protocol/generated/17-sasl-handshake.js';
import type { ApiHandler } from './registry.js';

export const saslHandshakeHandler: ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  codec: SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(): SaslHandshakeResponse {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
};
