/**
 * SaslAuthenticate (key 36), versions 0-2, on a listener without SASL: ILLEGAL_SASL_STATE with
 * Kafka's own message (KafkaApis answers this way once a connection needs no authentication),
 * never a closed connection. SASL itself is issue 13.
 */
import { ErrorCode } from '../protocol/errors.js';
import { SaslAuthenticate, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../protocol/generated/36-sasl-authenticate.js';
import { EMPTY } from '../protocol/wire.js';
import type { ApiHandler } from './registry.js';

export const saslAuthenticateHandler: ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  codec: SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  handle(): SaslAuthenticateResponse {
    return {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      authBytes: EMPTY,
      sessionLifetimeMs: 0n,
    };
  },
};
