/**
 * The cluster's ACLs as the metadata image holds them (AccessControlEntry records), indexed so
 * the authorizer (auth/authorizer.ts) finds the ACLs covering one resource without scanning the
 * others. Codes are Kafka's (auth/acl.ts names them); this module sits below auth/ because the
 * image owns the data.
 */

/** Kafka's PatternType.PREFIXED and the literal wildcard resource name. */
const PREFIXED = 4;
const WILDCARD_RESOURCE = '*';

/** One ACL (Kafka's AclBinding = ResourcePattern + AccessControlEntry). */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  /** LITERAL or PREFIXED. */
  readonly patternType: number;
  /** "User:alice", or "User:*". */
  readonly principal: string;
  /** An IP address, or "*". */
  readonly host: string;
  readonly operation: number;
  /** ALLOW or DENY. */
  readonly permissionType: number;
}

/** A stable key of an ACL's content: two equal ACLs are one (Kafka ignores duplicates). */
export const aclKey = (a: AclBinding): string =>
  JSON.stringify([a.resourceType, a.resourceName, a.patternType, a.principal, a.host, a.operation, a.permissionType]);

/**
 * The ACLs of a cluster, indexed so that authorizing one resource looks only at the ACLs that can
 * apply to it: the literal ones of its exact name, the literal wildcard ones, and the prefixed
 * ones whose prefix it starts with (found by trying each prefix length of the name that has
 * prefixed ACLs, so the cost depends on the name's length, never on the number of ACLs).
 */
export class AclIndex {
  private readonly byId = new Map<string, AclBinding>();
  private readonly idByKey = new Map<string, string>();
  /** resourceType -> name -> ACLs, for LITERAL (including "*") and PREFIXED patterns. */
  private readonly literal = new Map<number, Map<string, AclBinding[]>>();
  private readonly prefixed = new Map<number, Map<string, AclBinding[]>>();
  /** resourceType -> the distinct prefix lengths in use, so lookups try only those. */
  private readonly prefixLengths = new Map<number, Map<number, number>>();

  get size(): number {
    return this.byId.size;
  }

  /** The id of an existing ACL equal to `acl`, if any. */
  idOf(acl: AclBinding): string | undefined {
    return this.idByKey.get(aclKey(acl));
  }

  get(id: string): AclBinding | undefined {
    return this.byId.get(id);
  }

  entries(): IterableIterator<[string, AclBinding]> {
    return this.byId.entries();
  }

  add(id: string, acl: AclBinding): void {
    if (this.byId.has(id)) throw new Error(`ACL ${id} added twice`);
    this.byId.set(id, acl);
    this.idByKey.set(aclKey(acl), id);
    const table = acl.patternType === PREFIXED ? this.prefixed : this.literal;
    let byName = table.get(acl.resourceType);
    if (!byName) table.set(acl.resourceType, (byName = new Map()));
    const list = byName.get(acl.resourceName);
    if (list) list.push(acl);
    else byName.set(acl.resourceName, [acl]);
    if (acl.patternType === PREFIXED) {
      let lengths = this.prefixLengths.get(acl.resourceType);
      if (!lengths) this.prefixLengths.set(acl.resourceType, (lengths = new Map()));
      lengths.set(acl.resourceName.length, (lengths.get(acl.resourceName.length) ?? 0) + 1);
    }
  }

  remove(id: string): AclBinding | undefined {
    const acl = this.byId.get(id);
    if (!acl) return undefined;
    this.byId.delete(id);
    this.idByKey.delete(aclKey(acl));
    const prefixed = acl.patternType === PREFIXED;
    const byName = (prefixed ? this.prefixed : this.literal).get(acl.resourceType)!;
    const rest = byName.get(acl.resourceName)!.filter((a) => a !== acl);
    if (rest.length > 0) byName.set(acl.resourceName, rest);
    else byName.delete(acl.resourceName);
    if (prefixed) {
      const lengths = this.prefixLengths.get(acl.resourceType)!;
      const n = lengths.get(acl.resourceName.length)! - 1;
      if (n > 0) lengths.set(acl.resourceName.length, n);
      else lengths.delete(acl.resourceName.length);
    }
    return acl;
  }

  /** Calls `visit` with every ACL whose pattern covers the resource; stops when it returns true. */
  forEachApplicable(resourceType: number, resourceName: string, visit: (acl: AclBinding) => boolean): void {
    const literal = this.literal.get(resourceType);
    if (literal) {
      for (const acl of literal.get(resourceName) ?? []) if (visit(acl)) return;
      if (resourceName !== WILDCARD_RESOURCE) for (const acl of literal.get(WILDCARD_RESOURCE) ?? []) if (visit(acl)) return;
    }
    const lengths = this.prefixLengths.get(resourceType);
    if (!lengths) return;
    const prefixed = this.prefixed.get(resourceType)!;
    for (const length of lengths.keys()) {
      if (length > resourceName.length) continue;
      for (const acl of prefixed.get(resourceName.slice(0, length)) ?? []) if (visit(acl)) return;
    }
  }

  /** Whether any ACL exists for this resource type (Kafka's authorizeByResourceType short cut). */
  hasType(resourceType: number): boolean {
    return (this.literal.get(resourceType)?.size ?? 0) > 0 || (this.prefixed.get(resourceType)?.size ?? 0) > 0;
  }

  /** ACLs of one resource type (for authorizeByResourceType). */
  *ofType(resourceType: number): Iterable<AclBinding> {
    for (const list of this.literal.get(resourceType)?.values() ?? []) yield* list;
    for (const list of this.prefixed.get(resourceType)?.values() ?? []) yield* list;
  }
}
