/**
 * CreateAcls (key 30), versions 1-3 as Kafka 4.1.1 serves them. Needs ALTER on the cluster. Each
 * creation is checked as Kafka's AclApis and AclControlManager check it (INVALID_REQUEST with
 * Kafka's message: UNKNOWN/ANY types, a pattern type other than LITERAL or PREFIXED, a CLUSTER
 * resource not named kafka-cluster, an empty name, a principal without "Type:"); the valid ones
 * become one batch of AccessControlEntry records, an ACL that already exists being a success
 * without a record. A broker-only node forwards the request to its controller (forwarding.ts),
 * having checked the principal's authority here. With no authorizer: SECURITY_DISABLED.
 */
import { CreateAcls, type CreateAclsRequest, type CreateAclsResponse } from '../protocol/generated/30-create-acls.js';
import { AclOperation, PatternType, PermissionType, ResourceType, invalidNewAcl, toOperation, toPatternType, toPermissionType, toResourceType, type AclBinding } from '../auth/acl.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import { CLOSE_CONNECTION, type ApiHandler, type RequestContext } from './registry.js';

function unbuildable(c: CreateAclsRequest['creations'][number]): string | null {
  if (toResourceType(c.resourceType) === ResourceType.ANY) return 'resourceType must not be ANY';
  const pattern = toPatternType(c.resourcePatternType);
  if (pattern === PatternType.ANY || pattern === PatternType.MATCH) return `patternType must not be ${pattern === PatternType.ANY ? 'ANY' : 'MATCH'}`;
  if (toOperation(c.operation) === AclOperation.ANY) return 'operation must not be ANY';
  if (toPermissionType(c.permissionType) === PermissionType.ANY) return 'permissionType must not be ANY';
  return null;
}

/**
 * The whole request refused with one error (every creation gets it), or null when it may go on.
 * An UNKNOWN (0) element as sent fails Kafka's parsing (CreateAclsRequest.validate): the
 * connection is closed.
 */
export function createAclsRefusal(req: CreateAclsRequest, ctx: RequestContext): CreateAclsResponse | typeof CLOSE_CONNECTION | null {
  if (req.creations.some((c) => c.resourceType === 0 || c.resourcePatternType === 0 || c.operation === 0 || c.permissionType === 0)) return CLOSE_CONNECTION;
  const all = (errorCode: number, errorMessage: string): CreateAclsResponse => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
  if (!authorizeCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Request CreateAcls is not authorized.');
  if (ctx.broker.authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
  // Kafka cannot even build such an ACL (ResourcePattern and AccessControlEntry refuse ANY and
  // MATCH): the whole request fails with UNKNOWN_SERVER_ERROR.
  for (const c of req.creations) {
    const problem = unbuildable(c);
    if (problem) return all(ErrorCode.UNKNOWN_SERVER_ERROR, problem);
  }
  return null;
}

export const createAclsHandler: ApiHandler<CreateAclsRequest, CreateAclsResponse> = {
  codec: CreateAcls,
  minVersion: 1,
  maxVersion: 3,
  handle(req: CreateAclsRequest, ctx: RequestContext): CreateAclsResponse | typeof CLOSE_CONNECTION {
    const refused = createAclsRefusal(req, ctx);
    if (refused) return refused;
    const bindings: AclBinding[] = req.creations.map((c) => ({
      resourceType: toResourceType(c.resourceType),
      resourceName: c.resourceName,
      patternType: toPatternType(c.resourcePatternType),
      principal: c.principal,
      host: c.host,
      operation: toOperation(c.operation),
      permissionType: toPermissionType(c.permissionType),
    }));
    const problems = bindings.map(invalidNewAcl);
    const outcome = ctx.broker.controller.createAcls(bindings.filter((_, i) => problems[i] === null));
    return {
      throttleTimeMs: 0,
      results: problems.map((problem) => {
        if (problem !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
        return { errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
      }),
    };
  },
};
