// The error table: one name per code and one code per name, and the codes the KRaft inter-broker
// APIs answer with (issue 12), with Kafka's numbers and retriability (Errors.java; retriable =
// the exception is a RetriableException).

import t from 'tap';
import { ErrorCode, errorByCode, errorName } from './errors.js';

t.test('codes and names are one to one', async (t) => {
  const names = new Set<string>();
  let codes = 0;
  for (let code = -1; code < 1000; code++) {
    const e = errorByCode(code);
    if (e === undefined) continue;
    codes++;
    t.equal(e.code, code);
    t.notOk(names.has(e.name), `${e.name} named once`);
    names.add(e.name);
    t.equal(ErrorCode[e.name], code, `ErrorCode.${e.name}`);
  }
  t.equal(Object.keys(ErrorCode).length, codes, 'every name has its code');
  t.equal(errorName(129), 'UNKNOWN_ERROR_CODE_129');
});

t.test('the codes the KRaft inter-broker APIs answer with', async (t) => {
  const expected: Array<[number, string, boolean]> = [
    [-1, 'UNKNOWN_SERVER_ERROR', false],
    [6, 'NOT_LEADER_OR_FOLLOWER', true],
    [8, 'BROKER_NOT_AVAILABLE', false],
    [41, 'NOT_CONTROLLER', true],
    [42, 'INVALID_REQUEST', false],
    [55, 'OPERATION_NOT_ATTEMPTED', false],
    [74, 'FENCED_LEADER_EPOCH', true],
    [75, 'UNKNOWN_LEADER_EPOCH', true],
    [77, 'STALE_BROKER_EPOCH', false],
    [94, 'INCONSISTENT_VOTER_SET', false],
    [95, 'INVALID_UPDATE_VERSION', false],
    [98, 'SNAPSHOT_NOT_FOUND', false],
    [99, 'POSITION_OUT_OF_RANGE', false],
    [100, 'UNKNOWN_TOPIC_ID', true],
    [101, 'DUPLICATE_BROKER_REGISTRATION', false],
    [102, 'BROKER_ID_NOT_REGISTERED', false],
    [104, 'INCONSISTENT_CLUSTER_ID', false],
    [107, 'INELIGIBLE_REPLICA', false],
    [108, 'NEW_LEADER_ELECTED', false],
    [119, 'INVALID_REGISTRATION', false],
    [125, 'INVALID_VOTER_KEY', false],
    [126, 'DUPLICATE_VOTER', false],
    [127, 'VOTER_NOT_FOUND', false],
  ];
  for (const [code, name, retriable] of expected) t.same(errorByCode(code), { code, name, retriable }, name);
});
