/**
 * DeleteAcls (key 31), versions 1-3 as Kafka 4.1.1 serves them. Needs ALTER on the cluster. Each
 * filter (ANY and MATCH pattern types, as DescribeAcls) removes the ACLs it matches and lists them;
 * a filter with an UNKNOWN element is refused with INVALID_REQUEST (Kafka's
 * AclControlManager.validateFilter). All removals of one request are one batch of
 * RemoveAccessControlEntry records. A broker-only node forwards it to its controller. With no
 * authorizer: SECURITY_DISABLED.
 */
import { DeleteAcls, type DeleteAclsRequest, type DeleteAclsResponse, type DeleteAclsResponseDeleteAclsFilterResult } from '../protocol/generated/31-delete-acls.js';
import { PatternType, ResourceType, filterIsUnknown } from '../auth/acl.js';
import { ErrorCode } from '../protocol/errors.js';
import { aclFilterOf, sentUnknown } from './29-describe-acls.js';
import { authorizeCluster, Op } from './authorize.js';
import { CLOSE_CONNECTION, type ApiHandler, type RequestContext } from './registry.js';

/** As createAclsRefusal: an UNKNOWN (0) element as sent closes the connection (Kafka's parse check). */
export function deleteAclsRefusal(req: DeleteAclsRequest, ctx: RequestContext): DeleteAclsResponse | typeof CLOSE_CONNECTION | null {
  if (req.filters.some(sentUnknown)) return CLOSE_CONNECTION;
  const all = (errorCode: number, errorMessage: string): DeleteAclsResponse => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
  if (!authorizeCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Request DeleteAcls is not authorized.');
  if (ctx.broker.authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
  return null;
}

export const deleteAclsHandler: ApiHandler<DeleteAclsRequest, DeleteAclsResponse> = {
  codec: DeleteAcls,
  minVersion: 1,
  maxVersion: 3,
  handle(req: DeleteAclsRequest, ctx: RequestContext): DeleteAclsResponse | typeof CLOSE_CONNECTION {
    const refused = deleteAclsRefusal(req, ctx);
    if (refused) return refused;
    const authorizer = ctx.broker.authorizer!;
    const ids: string[] = [];
    const results: DeleteAclsResponseDeleteAclsFilterResult[] = req.filters.map((f) => {
      const filter = aclFilterOf(f);
      if (filterIsUnknown(filter)) {
        const part = filter.resourceType === ResourceType.UNKNOWN || filter.patternType === PatternType.UNKNOWN ? 'patternFilter' : 'entryFilter';
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown ${part}.`, matchingAcls: [] };
      }
      const matching = authorizer.acls(filter);
      ids.push(...matching.map((m) => m.id));
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        matchingAcls: matching.map(({ acl }) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permissionType })),
      };
    });
    const outcome = ctx.broker.controller.deleteAcls(ids);
    if (outcome.errorCode !== ErrorCode.NONE) {
      return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, matchingAcls: [] })) };
    }
    return { throttleTimeMs: 0, filterResults: results };
  },
};
