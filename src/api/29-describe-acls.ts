/**
 * DescribeAcls (key 29), versions 1-3 as Kafka 4.1.1 serves them (v0 went with 4.0). Needs DESCRIBE
 * on the cluster. Answers the ACLs matching the filter (auth/acl.ts: ANY and MATCH pattern types,
 * null strings match anything), grouped by resource pattern. With no authorizer configured it
 * answers SECURITY_DISABLED as Kafka's AclApis does. As Kafka: a filter with an UNKNOWN (0) element
 * fails to parse there, and the connection is closed; a code no enum has reads as UNKNOWN after
 * that check, and matches nothing.
 */
import { DescribeAcls, type DescribeAclsRequest, type DescribeAclsResponse, type DescribeAclsResponseDescribeAclsResource } from '../protocol/generated/29-describe-acls.js';
import { toOperation, toPatternType, toPermissionType, toResourceType, type AclBindingFilter } from '../auth/acl.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import { CLOSE_CONNECTION, type ApiHandler, type RequestContext } from './registry.js';

/** Kafka's request validation (DescribeAclsRequest, DeleteAclsRequest): an UNKNOWN code as sent. */
export function sentUnknown(f: { resourceTypeFilter: number; patternTypeFilter: number; operation: number; permissionType: number }): boolean {
  return f.resourceTypeFilter === 0 || f.patternTypeFilter === 0 || f.operation === 0 || f.permissionType === 0;
}

export function aclFilterOf(f: { resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter: number; principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number }): AclBindingFilter {
  return {
    resourceType: toResourceType(f.resourceTypeFilter),
    resourceName: f.resourceNameFilter,
    patternType: toPatternType(f.patternTypeFilter),
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: toOperation(f.operation),
    permissionType: toPermissionType(f.permissionType),
  };
}

export const describeAclsHandler: ApiHandler<DescribeAclsRequest, DescribeAclsResponse> = {
  codec: DescribeAcls,
  minVersion: 1,
  maxVersion: 3,
  handle(req: DescribeAclsRequest, ctx: RequestContext): DescribeAclsResponse | typeof CLOSE_CONNECTION {
    if (sentUnknown(req)) return CLOSE_CONNECTION;
    const failed = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Request DescribeAcls is not authorized.');
    const authorizer = ctx.broker.authorizer;
    if (authorizer === null) return failed(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker');
    const filter = aclFilterOf(req);
    const byPattern = new Map<string, DescribeAclsResponseDescribeAclsResource>();
    for (const { acl } of authorizer.acls(filter)) {
      const key = JSON.stringify([acl.resourceType, acl.resourceName, acl.patternType]);
      let resource = byPattern.get(key);
      if (!resource) byPattern.set(key, (resource = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] }));
      resource.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permissionType });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] };
  },
};
