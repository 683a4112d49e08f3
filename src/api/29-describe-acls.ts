/**
 * DescribeAcls (key 29), versions 1-3 as Kafka 4.1.1 serves them (v0 went with 4.0). Needs DESCRIBE
 * on the cluster. Answers the ACLs matching the filter (auth/acl.ts: ANY and MATCH pattern types,
 * null strings match anything), grouped by resource pattern. With no authorizer configured it
 * answers SECURITY_DISABLED as Kafka's AclApis does.
 */
import { DescribeAcls, type DescribeAclsRequest, type DescribeAclsResponse, type DescribeAclsResponseDescribeAclsResource } from '../protocol/generated/29-describe-acls.js';
import { filterIsUnknown, toOperation, toPatternType, toPermissionType, toResourceType, type AclBindingFilter } from '../auth/acl.js';
import { ErrorCode } from '../protocol/errors.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

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
  handle(req: DescribeAclsRequest, ctx: RequestContext): DescribeAclsResponse {
    const failed = (errorCode: number, errorMessage: string): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Request DescribeAcls is not authorized.');
    const authorizer = ctx.broker.authorizer;
    if (authorizer === null) return failed(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker');
    const filter = aclFilterOf(req);
    if (filterIsUnknown(filter)) return failed(ErrorCode.INVALID_REQUEST, 'The filter contains UNKNOWN elements');
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
