/**
 * ACLs live in the metadata log (AccessControlEntry / RemoveAccessControlEntry records): they are
 * enforced again after a restart, a deleted one stays deleted, and ids are stable across replay.
 */
import t from 'tap';
import { Broker } from '../broker.js';
import { silentLogger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { CreateAcls, DeleteAcls, DescribeAcls } from '../protocol/generated/index.js';
import type { ApiCodec } from '../protocol/api-codec.js';
import { CLOSE_CONNECTION } from '../api/registry.js';
import { newSession } from './session.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType as Res } from './acl.js';
import { decodeMetadataRecord, encodeMetadataRecord } from '../metadata/records.js';
import { tmpDataDir } from '../../compat-tests/harness.js';

const data = tmpDataDir('sluice-acl-persist-');
t.teardown(() => data.remove());

const OVERRIDES = ['authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users=User:admin'];
const start = (): Promise<Broker> => Broker.start({ port: 0, dataDir: data.dir, overrides: OVERRIDES, logger: silentLogger });

async function call<Req, Res>(b: Broker, codec: ApiCodec<Req, Res>, req: Req): Promise<Res> {
  const ctx = {
    broker: b, handlers: b.handlers, apiVersion: 3, correlationId: 1, clientId: 't', clientHost: '/127.0.0.1',
    session: { ...newSession('PLAINTEXT', 'PLAINTEXT', '127.0.0.1'), principal: 'User:admin' },
    onClose: () => () => {}, takeResponseBytes: (n: number) => n, returnResponseBytes: () => {},
  };
  const res = await b.handlers.get(codec.apiKey)!.handle(req, ctx);
  if (res === null || res === CLOSE_CONNECTION) throw new Error('no answer');
  return res as Res;
}

const alice = { principal: 'User:alice', clientAddress: '127.0.0.1' };
const creation = (resourceName: string) => ({ resourceType: Res.TOPIC, resourceName, resourcePatternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW });
const all = { resourceTypeFilter: Res.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: PermissionType.ANY };

t.test('the records round-trip through their encoding', async (t) => {
  const rec = { type: 'AccessControlEntry' as const, id: 'abc', ...creation('x'), patternType: PatternType.PREFIXED };
  const { key, value } = encodeMetadataRecord(rec);
  t.same(decodeMetadataRecord(key, value), rec);
  const rm = encodeMetadataRecord({ type: 'RemoveAccessControlEntry', id: 'abc' });
  t.same(decodeMetadataRecord(rm.key, rm.value), { type: 'RemoveAccessControlEntry', id: 'abc' });
});

t.test('ACLs survive a restart; a deleted one stays deleted', async (t) => {
  let b = await start();
  const created = await call(b, CreateAcls, { creations: [creation('kept'), creation('dropped')] });
  t.same(created.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
  const deleted = await call(b, DeleteAcls, { filters: [{ ...all, resourceNameFilter: 'dropped' }] });
  t.equal(deleted.filterResults[0]!.matchingAcls.length, 1);
  const ids = [...b.image.acls.entries()].map(([id]) => id);
  await b.stop();

  b = await start();
  t.teardown(() => b.stop());
  t.same([...b.image.acls.entries()].map(([id]) => id), ids, 'the same ids after replay');
  t.ok(b.authorizer!.authorize(alice, Op.READ, Res.TOPIC, 'kept'), 'kept is enforced after the restart');
  t.notOk(b.authorizer!.authorize(alice, Op.READ, Res.TOPIC, 'dropped'), 'dropped stays gone');
  const described = await call(b, DescribeAcls, all);
  t.same(described.resources.map((r) => r.resourceName), ['kept']);
});
