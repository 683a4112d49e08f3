/**
 * The authorizer: whether a principal may perform an operation on a resource, decided as Kafka's
 * StandardAuthorizer decides (StandardAuthorizerData):
 *
 *  1. a super user (super.users, "User:a;User:b") may do anything;
 *  2. otherwise the ACLs covering the resource are those of its exact name, the literal wildcard
 *     "*" and the prefixed ones it starts with; of those applying to the principal (or "User:*"),
 *     the client's host (or "*") and the operation (ALL, the operation itself, or for an ALLOW one
 *     that implies it), a DENY wins over any ALLOW;
 *  3. when no ACL at all exists for the resource (whoever it names), the answer is
 *     allow.everyone.if.no.acl.found (false by default), else DENIED.
 *
 * The ACLs live in the metadata image (AccessControlEntry records), so every broker decides from
 * the same committed set. A broker-only node's copy of them may be behind until it has caught up
 * with the controller after a start: until then (`markLoaded`) only super users are allowed
 * (Kafka holds requests until its StandardAuthorizer's initial load; refusing is the safe
 * equivalent, never granting what an ACL not yet copied would deny). Enabled by
 * authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer; an empty
 * authorizer.class.name means no authorization at all (every request allowed, at no cost).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import {
  AclOperation,
  PatternType,
  PermissionType,
  ResourceType,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
  aclResult,
  filterMatches,
  type AclBinding,
  type AclBindingFilter,
  type AclIndex,
} from './acl.js';

/** Who asks: Kafka's principal string and the client's IP address. */
export interface AuthSession {
  readonly principal: string;
  readonly clientAddress: string;
}

/** One question of a batch: may the session do `operation` on this resource? */
export interface Action {
  readonly operation: number;
  readonly resourceType: number;
  readonly resourceName: string;
}

export interface Authorizer {
  authorize(session: AuthSession, operation: number, resourceType: number, resourceName: string): boolean;
  authorizeAll(session: AuthSession, actions: readonly Action[]): boolean[];
  /**
   * Whether the session may do `operation` on at least one resource of the type (Kafka's
   * authorizeByResourceType, KIP-679: an idempotent producer needs WRITE on some topic).
   */
  authorizeByResourceType(session: AuthSession, operation: number, resourceType: number): boolean;
  /** The KIP-430 bit set of the operations the session may do on the resource, among those its type has. */
  authorizedOperations(session: AuthSession, resourceType: number, resourceName: string): number;
  /** The ACLs matching a DescribeAcls/DeleteAcls filter, with their ids. */
  acls(filter: AclBindingFilter): Array<{ id: string; acl: AclBinding }>;
}

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
/** Kafka's ZooKeeper-era authorizer: it keeps ACLs in ZooKeeper, which KRaft clusters have not. */
export const ACL_AUTHORIZER = 'kafka.security.authorizer.AclAuthorizer';

/** The operations each resource type has (Kafka's AclEntry.supportedOperations), for authorized-operations bit sets. */
export const SUPPORTED_OPERATIONS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [ResourceType.TOPIC, [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]],
  [ResourceType.GROUP, [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]],
  [ResourceType.CLUSTER, [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE]],
  [ResourceType.TRANSACTIONAL_ID, [AclOperation.DESCRIBE, AclOperation.WRITE]],
  [ResourceType.DELEGATION_TOKEN, [AclOperation.DESCRIBE]],
  [ResourceType.USER, [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS]],
]);

export interface StandardAuthorizerOptions {
  /** Principals allowed everything. */
  superUsers: readonly string[];
  allowEveryoneIfNoAclFound: boolean;
  /** False until the ACLs are known complete (markLoaded); default true. */
  loaded?: boolean;
}

/** Kafka's super.users: principals separated by semicolons, blanks ignored. */
export function parseSuperUsers(value: string | null | undefined): string[] {
  if (!value) return [];
  return value.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

export class StandardAuthorizer implements Authorizer {
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowIfNoAcl: boolean;
  /** Sessions of the node's own in-process requests: allowed everything. */
  private readonly trusted = new WeakSet<AuthSession>();
  private loaded: boolean;

  /** `index` returns the current ACLs (the metadata image's, which replaying records changes). */
  constructor(private readonly index: () => AclIndex, options: StandardAuthorizerOptions) {
    this.superUsers = new Set(options.superUsers);
    this.allowIfNoAcl = options.allowEveryoneIfNoAclFound;
    this.loaded = options.loaded ?? true;
  }

  /** The ACLs are complete (a broker-only node has caught up with the controller's metadata). */
  markLoaded(): void {
    this.loaded = true;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /** Allows everything to this session object (the node's own in-process requests, never a connection's). */
  trust(session: AuthSession): void {
    this.trusted.add(session);
  }

  authorize(session: AuthSession, operation: number, resourceType: number, resourceName: string): boolean {
    if (this.superUsers.has(session.principal) || this.trusted.has(session)) return true;
    if (!this.loaded) return false;
    let anyAcl = false;
    let allowed = false;
    let denied = false;
    this.index().forEachApplicable(resourceType, resourceName, (acl) => {
      anyAcl = true;
      const result = aclResult(acl, session.principal, session.clientAddress, operation);
      if (result === 'DENY') {
        denied = true;
        return true;
      }
      if (result === 'ALLOW') allowed = true;
      return false;
    });
    if (denied) return false;
    if (allowed) return true;
    return !anyAcl && this.allowIfNoAcl;
  }

  authorizeAll(session: AuthSession, actions: readonly Action[]): boolean[] {
    return actions.map((a) => this.authorize(session, a.operation, a.resourceType, a.resourceName));
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: allowed when a resource of the type with a made-up
   * name would be (super users, no ACLs and allow.everyone.if.no.acl.found), or when some ALLOW
   * ACL for the operation names a literal resource not denied literally, or a prefix, neither
   * dominated by a DENY prefix; a DENY of "*" denies every resource.
   */
  authorizeByResourceType(session: AuthSession, operation: number, resourceType: number): boolean {
    if (this.authorize(session, operation, resourceType, 'hardcode')) return true;
    const deny = { literal: new Set<string>(), prefixed: new Set<string>() };
    const allow = { literal: new Set<string>(), prefixed: new Set<string>() };
    for (const acl of this.index().ofType(resourceType)) {
      if (acl.principal !== session.principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.host !== WILDCARD_HOST && acl.host !== session.clientAddress) continue;
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
      const sets = acl.permissionType === PermissionType.DENY ? deny : allow;
      (acl.patternType === PatternType.LITERAL ? sets.literal : sets.prefixed).add(acl.resourceName);
    }
    if (deny.literal.has(WILDCARD_RESOURCE) || deny.prefixed.has('')) return false;
    const dominatedByDenyPrefix = (name: string): boolean => {
      for (let i = 1; i <= name.length; i++) if (deny.prefixed.has(name.slice(0, i))) return true;
      return false;
    };
    for (const name of allow.literal) if (!deny.literal.has(name) && !dominatedByDenyPrefix(name)) return true;
    for (const name of allow.prefixed) if (!dominatedByDenyPrefix(name)) return true;
    return false;
  }

  authorizedOperations(session: AuthSession, resourceType: number, resourceName: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS.get(resourceType) ?? []) {
      if (this.authorize(session, op, resourceType, resourceName)) bits |= 1 << op;
    }
    return bits;
  }

  acls(filter: AclBindingFilter): Array<{ id: string; acl: AclBinding }> {
    const out: Array<{ id: string; acl: AclBinding }> = [];
    for (const [id, acl] of this.index().entries()) if (filterMatches(filter, acl)) out.push({ id, acl });
    return out;
  }
}

/**
 * The authorizer authorizer.class.name asks for: null when it is empty (no authorization). Throws
 * with a message for the operator when it names one Sluice cannot be.
 */
export function authorizerFromConfig(config: BrokerConfig, index: () => AclIndex, loaded = true): StandardAuthorizer | null {
  const className = (config.get('authorizer.class.name') ?? '').trim();
  if (className === '') return null;
  if (className === ACL_AUTHORIZER) {
    throw new Error(`authorizer.class.name=${ACL_AUTHORIZER} keeps its ACLs in ZooKeeper, which a KRaft cluster has not; use ${STANDARD_AUTHORIZER} (the same ACLs, kept in the metadata log)`);
  }
  if (className !== STANDARD_AUTHORIZER) {
    throw new Error(`authorizer.class.name=${className} is not an authorizer Sluice has; the one it has is ${STANDARD_AUTHORIZER}`);
  }
  return new StandardAuthorizer(index, {
    superUsers: parseSuperUsers(config.get('super.users')),
    allowEveryoneIfNoAclFound: config.get('allow.everyone.if.no.acl.found') === 'true',
    loaded,
  });
}
