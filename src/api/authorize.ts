/**
 * The per-request authorization check every handler uses (Kafka's AuthHelper): whether the
 * request's session may do an operation on a resource, through the broker's authorizer. With no
 * authorizer configured (authorizer.class.name empty) everything is allowed and nothing is
 * computed.
 */
import { CLUSTER_NAME, ResourceType } from '../auth/acl.js';
import { SUPPORTED_OPERATIONS } from '../auth/authorizer.js';
import { OPERATIONS_NOT_REQUESTED } from './acl-operations.js';
import type { RequestContext } from './registry.js';

export { AclOperation as Op, ResourceType as Res, CLUSTER_NAME } from '../auth/acl.js';

export function authorize(ctx: RequestContext, operation: number, resourceType: number, resourceName: string): boolean {
  const a = ctx.broker.authorizer;
  return a === null || a.authorize(ctx.session, operation, resourceType, resourceName);
}

export const authorizeCluster = (ctx: RequestContext, operation: number): boolean => authorize(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME);

/** Whether any resource of the type allows the operation (KIP-679's idempotent producer check). */
export function authorizeByResourceType(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const a = ctx.broker.authorizer;
  return a === null || a.authorizeByResourceType(ctx.session, operation, resourceType);
}

/** The names among `names` the session may do `operation` on (Kafka's filterByAuthorized), each asked once. */
export function authorizedNames(ctx: RequestContext, operation: number, resourceType: number, names: Iterable<string>): Set<string> {
  const all = new Set(names);
  const a = ctx.broker.authorizer;
  if (a === null) return all;
  const out = new Set<string>();
  for (const n of all) if (a.authorize(ctx.session, operation, resourceType, n)) out.add(n);
  return out;
}

/** KIP-430's bit set when `requested`, Kafka's "not requested" sentinel otherwise. */
export function authorizedOperations(ctx: RequestContext, resourceType: number, resourceName: string, requested = true): number {
  if (!requested) return OPERATIONS_NOT_REQUESTED;
  const a = ctx.broker.authorizer;
  if (a !== null) return a.authorizedOperations(ctx.session, resourceType, resourceName);
  let bits = 0;
  for (const op of SUPPORTED_OPERATIONS.get(resourceType) ?? []) bits |= 1 << op;
  return bits;
}

