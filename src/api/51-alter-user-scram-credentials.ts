/**
 * AlterUserScramCredentials (key 51), version 0 (KIP-554): creates, replaces and deletes users'
 * SCRAM credentials. The client sends the salted password (never the password); the controller
 * keeps only StoredKey and ServerKey (metadata/controller.ts `alterUserScramCredentials`, Kafka's
 * ScramControlManager: iterations 4096-16384, known mechanism, non-empty user, each user once per
 * request, a deletion must name an existing credential). A broker-only node forwards it to its
 * controller (forwarding.ts), as Kafka's brokers always do.
 * Needs ALTER on the cluster: refused, every user named gets CLUSTER_AUTHORIZATION_FAILED (Kafka's
 * AlterUserScramCredentialsRequest.getErrorResponse).
 */
import { AlterUserScramCredentials, type AlterUserScramCredentialsRequest, type AlterUserScramCredentialsResponse } from '../protocol/generated/51-alter-user-scram-credentials.js';
import { scramCredentialFromSaltedPassword } from '../auth/scram.js';
import type { ScramKeyDerivation } from '../metadata/controller.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

const deriveKeys: ScramKeyDerivation = (mechanism, saltedPassword) => scramCredentialFromSaltedPassword(mechanism, Buffer.alloc(0), saltedPassword, 0);

export const alterUserScramCredentialsHandler: ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  codec: AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(req: AlterUserScramCredentialsRequest, ctx: RequestContext): AlterUserScramCredentialsResponse {
    if (!authorizeCluster(ctx, Op.ALTER)) {
      const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' })) };
    }
    return ctx.broker.controller.alterUserScramCredentials(req, deriveKeys);
  },
};
