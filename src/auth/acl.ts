/**
 * Kafka's ACL model: resource patterns, access control entries and the filters that
 * DescribeAcls/DeleteAcls send, with Kafka's numeric codes (they travel on the wire and in the
 * metadata log), and the index the authorizer searches.
 *
 * An ACL says: `principal` from `host` is ALLOWed (or DENYed) `operation` on the resources of
 * `resourceType` that `resourceName` names, literally (one name, or every name when it is "*") or
 * as a prefix. Matching rules are Kafka's (ResourcePatternFilter, AccessControlEntryFilter and
 * StandardAuthorizerData): an ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE, an ALLOW
 * of ALTER_CONFIGS also allows DESCRIBE_CONFIGS, a DENY denies only the operation it names (or
 * every operation, for ALL).
 */

import type { AclBinding } from '../metadata/acl-index.js';

export { AclIndex, aclKey, type AclBinding } from '../metadata/acl-index.js';

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
  TWO_PHASE_COMMIT: 15,
} as const;
export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation];

export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The one name a CLUSTER resource has (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name matching every resource of its type; a principal matching everyone. */
export const WILDCARD_RESOURCE = '*';
export const WILDCARD_PRINCIPAL = 'User:*';
export const WILDCARD_HOST = '*';

const name = (table: Record<string, number>, code: number): string => Object.keys(table).find((k) => table[k] === code) ?? 'UNKNOWN';
export const resourceTypeName = (code: number): string => name(ResourceType, code);
export const patternTypeName = (code: number): string => name(PatternType, code);
export const operationName = (code: number): string => name(AclOperation, code);
export const permissionTypeName = (code: number): string => name(PermissionType, code);

/** A code outside the enum reads as UNKNOWN, as Kafka's fromCode does. */
const known = (table: Record<string, number>, code: number): number => (Object.values(table).includes(code) ? code : 0);
export const toResourceType = (code: number): number => known(ResourceType, code);
export const toPatternType = (code: number): number => known(PatternType, code);
export const toOperation = (code: number): number => known(AclOperation, code);
export const toPermissionType = (code: number): number => known(PermissionType, code);

/** What DescribeAcls and DeleteAcls select with (Kafka's AclBindingFilter); null strings match anything. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  /** ANY, MATCH, LITERAL or PREFIXED. */
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

/** Kafka's AclBindingFilter.isUnknown: a filter with an UNKNOWN element matches nothing and is refused. */
export function filterIsUnknown(f: AclBindingFilter): boolean {
  return f.resourceType === ResourceType.UNKNOWN || f.patternType === PatternType.UNKNOWN
    || f.operation === AclOperation.UNKNOWN || f.permissionType === PermissionType.UNKNOWN;
}

/** Kafka's ResourcePatternFilter.matches. */
export function patternMatches(f: AclBindingFilter, acl: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== acl.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== acl.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === acl.patternType) return f.resourceName === acl.resourceName;
  // MATCH: every ACL that would apply to the resource the filter names.
  if (acl.patternType === PatternType.LITERAL) return f.resourceName === acl.resourceName || acl.resourceName === WILDCARD_RESOURCE;
  return acl.patternType === PatternType.PREFIXED && f.resourceName.startsWith(acl.resourceName);
}

/** Kafka's AccessControlEntryFilter.matches. */
export function entryMatches(f: AclBindingFilter, acl: AclBinding): boolean {
  return (f.principal === null || f.principal === acl.principal)
    && (f.host === null || f.host === acl.host)
    && (f.operation === AclOperation.ANY || f.operation === acl.operation)
    && (f.permissionType === PermissionType.ANY || f.permissionType === acl.permissionType);
}

export const filterMatches = (f: AclBindingFilter, acl: AclBinding): boolean => patternMatches(f, acl) && entryMatches(f, acl);

/**
 * Why a new ACL is refused (Kafka's AclControlManager.validateNewAcl and the broker's checks in
 * AclApis), as INVALID_REQUEST's message; null when it may be created.
 */
export function invalidNewAcl(acl: AclBinding): string | null {
  if (acl.resourceType === ResourceType.UNKNOWN || acl.resourceType === ResourceType.ANY) return `Invalid resourceType ${resourceTypeName(acl.resourceType)}`;
  if (acl.patternType !== PatternType.LITERAL && acl.patternType !== PatternType.PREFIXED) return `Invalid patternType ${patternTypeName(acl.patternType)}`;
  if (acl.operation === AclOperation.UNKNOWN || acl.operation === AclOperation.ANY) return `Invalid operation ${operationName(acl.operation)}`;
  if (acl.permissionType !== PermissionType.ALLOW && acl.permissionType !== PermissionType.DENY) return `Invalid permissionType ${permissionTypeName(acl.permissionType)}`;
  if (acl.resourceType === ResourceType.CLUSTER && acl.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (acl.resourceName === '') return 'Invalid empty resource name';
  // Kafka's SecurityUtils.parseKafkaPrincipal.
  const colon = acl.principal.indexOf(':');
  if (colon <= 0) return `expected a string in format principalType:principalName but got ${acl.principal}`;
  return null;
}

/** What an ALLOW of each operation also allows (Kafka's implied operations). */
const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<number> = new Set([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

/** ALLOW or DENY when the ACL applies to this principal, host and operation; null when it does not apply. */
export function aclResult(acl: AclBinding, principal: string, host: string, operation: number): 'ALLOW' | 'DENY' | null {
  if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) return null;
  if (acl.host !== WILDCARD_HOST && acl.host !== host) return null;
  const allow = acl.permissionType === PermissionType.ALLOW;
  if (acl.operation !== AclOperation.ALL) {
    if (allow && operation === AclOperation.DESCRIBE) {
      if (!IMPLIES_DESCRIBE.has(acl.operation)) return null;
    } else if (allow && operation === AclOperation.DESCRIBE_CONFIGS) {
      if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return null;
    } else if (acl.operation !== operation) {
      return null;
    }
  }
  return allow ? 'ALLOW' : 'DENY';
}
