/**
 * DescribeUserScramCredentials (key 50), version 0 (KIP-554): which SCRAM mechanisms each user has
 * a credential for, with its iterations (never salts or keys). Answered by any broker from its
 * metadata image, as Kafka's KRaft brokers do (ScramImage.describe): no users (null or empty)
 * means every user with a credential; a named user without one is RESOURCE_NOT_FOUND, a user named
 * twice DUPLICATE_RESOURCE, with Kafka's messages. Results follow the request's order (every user:
 * sorted by name), mechanisms SCRAM-SHA-256 then SCRAM-SHA-512; Kafka's order is its hash map's.
 * Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED, Kafka's handleDescribeUserScramCredentialsRequest).
 */
import {
  DescribeUserScramCredentials,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
  type DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult,
} from '../protocol/generated/50-describe-user-scram-credentials.js';
import { ErrorCode } from '../protocol/errors.js';
import { scramMechanismType, SCRAM_MECHANISM_NAMES } from '../auth/scram.js';
import type { MetadataImage } from '../metadata/image.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export function describeUserScramCredentials(image: MetadataImage, req: DescribeUserScramCredentialsRequest): DescribeUserScramCredentialsResponse {
  const named = req.users ?? [];
  // user -> named more than once
  const users = new Map<string, boolean>();
  if (named.length === 0) for (const user of [...image.scramCredentials.keys()].sort()) users.set(user, false);
  for (const { name } of named) users.set(name, users.has(name));
  const results: DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult[] = [];
  for (const [user, duplicate] of users) {
    // Kafka leaves the message at its default, "", when there is no error.
    const result = { user, errorCode: ErrorCode.NONE, errorMessage: '' as string | null, credentialInfos: [] as Array<{ mechanism: number; iterations: number }> };
    if (duplicate) {
      result.errorCode = ErrorCode.DUPLICATE_RESOURCE;
      result.errorMessage = `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`;
    } else {
      const byMechanism = image.scramCredentials.get(user);
      for (const mechanism of SCRAM_MECHANISM_NAMES) {
        const c = byMechanism?.get(mechanism);
        if (c) result.credentialInfos.push({ mechanism: scramMechanismType(mechanism), iterations: c.iterations });
      }
      if (result.credentialInfos.length === 0) {
        result.errorCode = ErrorCode.RESOURCE_NOT_FOUND;
        result.errorMessage = `Attempt to describe a user credential that does not exist: ${user}`;
      }
    }
    results.push(result);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: '', results };
}

export const describeUserScramCredentialsHandler: ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  codec: DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(req: DescribeUserScramCredentialsRequest, ctx: RequestContext): DescribeUserScramCredentialsResponse {
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', results: [] };
    return describeUserScramCredentials(ctx.broker.image, req);
  },
};
