/**
 * StandardAuthorizer semantics, one named test per rule (Kafka's StandardAuthorizerTest is the
 * checklist): super users, allow.everyone.if.no.acl.found, DENY over ALLOW, implied operations,
 * host and principal wildcards, literal/wildcard/prefixed resources, authorizeByResourceType,
 * authorized-operations bit sets, and the filters of DescribeAcls/DeleteAcls.
 */
import t from 'tap';
import {
  AclIndex,
  AclOperation as Op,
  PatternType,
  PermissionType,
  ResourceType as Res,
  filterMatches,
  invalidNewAcl,
  type AclBinding,
  type AclBindingFilter,
} from './acl.js';
import { StandardAuthorizer, authorizerFromConfig, parseSuperUsers } from './authorizer.js';
import { loadBrokerConfig } from '../config/broker-config.js';

const alice = { principal: 'User:alice', clientAddress: '10.0.0.1' };
const bob = { principal: 'User:bob', clientAddress: '10.0.0.2' };

function acl(partial: Partial<AclBinding>): AclBinding {
  return { resourceType: Res.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW, ...partial };
}

function authorizerWith(acls: AclBinding[], options: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}): { a: StandardAuthorizer; index: AclIndex } {
  const index = new AclIndex();
  acls.forEach((x, i) => index.add(`id${i}`, x));
  return { a: new StandardAuthorizer(() => index, { superUsers: options.superUsers ?? [], allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false }), index };
}

t.test('no ACLs: denied by default, allowed with allow.everyone.if.no.acl.found', async (t) => {
  t.notOk(authorizerWith([]).a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  t.ok(authorizerWith([], { allowEveryoneIfNoAclFound: true }).a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
});

t.test('allow.everyone.if.no.acl.found applies only to resources without any ACL', async (t) => {
  const { a } = authorizerWith([acl({ principal: 'User:carol' })], { allowEveryoneIfNoAclFound: true });
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'), 'an ACL for someone else exists: alice is not allowed');
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'payments'), 'no ACL on payments');
});

t.test('super users may do anything, even against a DENY', async (t) => {
  const { a } = authorizerWith([acl({ principal: 'User:*', operation: Op.ALL, permissionType: PermissionType.DENY })], { superUsers: parseSuperUsers(' User:alice ; User:root;') });
  t.ok(a.authorize(alice, Op.WRITE, Res.TOPIC, 'orders'));
  t.notOk(a.authorize(bob, Op.WRITE, Res.TOPIC, 'orders'));
  t.same(parseSuperUsers('User:a;;User:b '), ['User:a', 'User:b']);
});

t.test('DENY wins over ALLOW', async (t) => {
  const { a } = authorizerWith([acl({}), acl({ permissionType: PermissionType.DENY })]);
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
});

t.test('ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS', async (t) => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
    t.ok(authorizerWith([acl({ operation: op })]).a.authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders'), `op ${op} implies DESCRIBE`);
  }
  t.notOk(authorizerWith([acl({ operation: Op.CREATE })]).a.authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders'), 'CREATE does not');
  t.ok(authorizerWith([acl({ operation: Op.ALTER_CONFIGS })]).a.authorize(alice, Op.DESCRIBE_CONFIGS, Res.TOPIC, 'orders'));
  t.notOk(authorizerWith([acl({ operation: Op.DESCRIBE })]).a.authorize(alice, Op.READ, Res.TOPIC, 'orders'), 'DESCRIBE does not imply READ');
});

t.test('a DENY of READ does not deny DESCRIBE; a DENY of ALL denies everything', async (t) => {
  const { a } = authorizerWith([acl({ operation: Op.WRITE }), acl({ operation: Op.READ, permissionType: PermissionType.DENY })]);
  t.ok(a.authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders'));
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  const all = authorizerWith([acl({ operation: Op.WRITE }), acl({ operation: Op.ALL, permissionType: PermissionType.DENY })]).a;
  t.notOk(all.authorize(alice, Op.DESCRIBE, Res.TOPIC, 'orders'));
  t.notOk(all.authorize(alice, Op.WRITE, Res.TOPIC, 'orders'));
});

t.test('host: "*" or the exact client address', async (t) => {
  const { a } = authorizerWith([acl({ host: '10.0.0.1' })]);
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  t.notOk(a.authorize({ ...alice, clientAddress: '10.0.0.9' }, Op.READ, Res.TOPIC, 'orders'));
});

t.test('principal wildcard User:* matches every user', async (t) => {
  const { a } = authorizerWith([acl({ principal: 'User:*' })]);
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  t.ok(a.authorize(bob, Op.READ, Res.TOPIC, 'orders'));
});

t.test('resources: literal name, wildcard "*", prefixed; another type never matches', async (t) => {
  const { a } = authorizerWith([
    acl({ resourceName: 'logs-', patternType: PatternType.PREFIXED }),
    acl({ resourceName: '*', operation: Op.WRITE }),
    acl({ resourceType: Res.GROUP, resourceName: 'orders', operation: Op.DELETE }),
  ]);
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'logs-app'), 'prefixed');
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'logs-'), 'the prefix itself');
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'logs'), 'shorter than the prefix');
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'mylogs-app'));
  t.ok(a.authorize(alice, Op.WRITE, Res.TOPIC, 'anything'), 'literal wildcard');
  t.notOk(a.authorize(alice, Op.DELETE, Res.TOPIC, 'orders'), 'the GROUP ACL does not apply to the topic');
  t.ok(a.authorize(alice, Op.DELETE, Res.GROUP, 'orders'));
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, '*x'), 'a literal "*x" is not a pattern');
});

t.test('a literal ACL on a prefix of the name does not apply', async (t) => {
  const { a } = authorizerWith([acl({ resourceName: 'ord' })]);
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
});

t.test('removing an ACL takes effect at once', async (t) => {
  const { a, index } = authorizerWith([acl({ resourceName: 'o', patternType: PatternType.PREFIXED })]);
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  index.remove('id0');
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  t.equal(index.size, 0);
});

t.test('authorizeByResourceType (KIP-679): some resource allows, not dominated by a DENY', async (t) => {
  t.notOk(authorizerWith([]).a.authorizeByResourceType(alice, Op.WRITE, Res.TOPIC));
  t.ok(authorizerWith([acl({ operation: Op.WRITE })]).a.authorizeByResourceType(alice, Op.WRITE, Res.TOPIC));
  t.notOk(authorizerWith([acl({ operation: Op.WRITE })]).a.authorizeByResourceType(bob, Op.WRITE, Res.TOPIC));
  t.notOk(authorizerWith([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permissionType: PermissionType.DENY })]).a.authorizeByResourceType(alice, Op.WRITE, Res.TOPIC), 'same literal denied');
  t.notOk(authorizerWith([acl({ operation: Op.WRITE }), acl({ resourceName: 'or', patternType: PatternType.PREFIXED, operation: Op.WRITE, permissionType: PermissionType.DENY })]).a.authorizeByResourceType(alice, Op.WRITE, Res.TOPIC), 'dominated by a DENY prefix');
  t.notOk(authorizerWith([acl({ operation: Op.WRITE }), acl({ resourceName: '*', operation: Op.WRITE, permissionType: PermissionType.DENY })]).a.authorizeByResourceType(alice, Op.WRITE, Res.TOPIC), 'DENY of every topic');
  t.ok(authorizerWith([], { allowEveryoneIfNoAclFound: true }).a.authorizeByResourceType(alice, Op.WRITE, Res.TOPIC), 'no ACL at all, allow everyone');
});

t.test('authorizedOperations: the bit set of allowed operations the type has', async (t) => {
  const { a } = authorizerWith([acl({ operation: Op.READ }), acl({ operation: Op.ALTER_CONFIGS })]);
  const bits = a.authorizedOperations(alice, Res.TOPIC, 'orders');
  t.equal(bits, (1 << Op.READ) | (1 << Op.DESCRIBE) | (1 << Op.ALTER_CONFIGS) | (1 << Op.DESCRIBE_CONFIGS));
  t.equal(a.authorizedOperations(bob, Res.TOPIC, 'orders'), 0);
});

t.test('filters: ANY, MATCH, LITERAL, PREFIXED, null strings', async (t) => {
  const lit = acl({});
  const wild = acl({ resourceName: '*' });
  const pre = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED });
  const f = (partial: Partial<AclBindingFilter>): AclBindingFilter => ({ resourceType: Res.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY, ...partial });
  const names = (filter: AclBindingFilter): string[] => [lit, wild, pre].filter((x) => filterMatches(filter, x)).map((x) => `${x.resourceName}/${x.patternType}`);
  t.same(names(f({})), ['orders/3', '*/3', 'ord/4'], 'everything');
  t.same(names(f({ resourceName: 'orders' })), ['orders/3'], 'ANY: exact name only');
  t.same(names(f({ resourceName: 'orders', patternType: PatternType.MATCH })), ['orders/3', '*/3', 'ord/4'], 'MATCH: what applies to orders');
  t.same(names(f({ patternType: PatternType.PREFIXED })), ['ord/4']);
  t.same(names(f({ resourceName: 'ord', patternType: PatternType.LITERAL })), []);
  t.same(names(f({ principal: 'User:bob' })), []);
  t.same(names(f({ operation: Op.WRITE })), []);
  t.same(names(f({ resourceType: Res.GROUP })), []);
});

t.test('new ACLs are checked as Kafka checks them', async (t) => {
  t.equal(invalidNewAcl(acl({})), null);
  t.equal(invalidNewAcl(acl({ resourceType: Res.ANY })), 'Invalid resourceType ANY');
  t.equal(invalidNewAcl(acl({ patternType: PatternType.MATCH })), 'Invalid patternType MATCH');
  t.equal(invalidNewAcl(acl({ operation: Op.ANY })), 'Invalid operation ANY');
  t.equal(invalidNewAcl(acl({ permissionType: PermissionType.ANY })), 'Invalid permissionType ANY');
  t.equal(invalidNewAcl(acl({ resourceType: Res.CLUSTER, resourceName: 'x' })), 'The only valid name for the CLUSTER resource is kafka-cluster');
  t.equal(invalidNewAcl(acl({ resourceName: '' })), 'Invalid empty resource name');
  t.match(invalidNewAcl(acl({ principal: 'alice' })), /principalType:principalName/);
});

t.test('authorizer.class.name: empty is none, StandardAuthorizer is ours, AclAuthorizer is refused', async (t) => {
  const cfg = (value: string) => loadBrokerConfig({ properties: { 'authorizer.class.name': value, 'super.users': 'User:admin' } });
  t.equal(authorizerFromConfig(cfg(''), () => new AclIndex()), null);
  const a = authorizerFromConfig(cfg('org.apache.kafka.metadata.authorizer.StandardAuthorizer'), () => new AclIndex());
  t.ok(a?.isSuperUser('User:admin'));
  t.throws(() => authorizerFromConfig(cfg('kafka.security.authorizer.AclAuthorizer'), () => new AclIndex()), /ZooKeeper/);
  t.throws(() => authorizerFromConfig(cfg('com.example.Custom'), () => new AclIndex()), /not an authorizer Sluice has/);
});

t.test('until the ACLs are loaded only super users are allowed, whatever allow.everyone.if.no.acl.found says', async (t) => {
  const index = new AclIndex();
  const a = new StandardAuthorizer(() => index, { superUsers: ['User:root'], allowEveryoneIfNoAclFound: true, loaded: false });
  t.notOk(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
  t.ok(a.authorize({ ...alice, principal: 'User:root' }, Op.READ, Res.TOPIC, 'orders'));
  a.markLoaded();
  t.ok(a.authorize(alice, Op.READ, Res.TOPIC, 'orders'));
});

t.test('the index looks only at applicable ACLs: 10,000 ACLs on other topics cost nothing per check', async (t) => {
  const many: AclBinding[] = [];
  for (let i = 0; i < 10_000; i++) many.push(acl({ resourceName: `topic-${i}`, principal: `User:u${i}` }));
  many.push(acl({ resourceName: 'orders', operation: Op.WRITE }));
  const { a, index } = authorizerWith(many);
  let visited = 0;
  index.forEachApplicable(Res.TOPIC, 'orders', () => {
    visited++;
    return false;
  });
  t.equal(visited, 1, 'one ACL looked at');
  t.ok(a.authorize(alice, Op.WRITE, Res.TOPIC, 'orders'));
});
