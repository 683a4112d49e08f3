/** The tools' parsing and printing: tables, kcat-style format strings, JSON records, durations, API and error names, fault rows. */
import t from 'tap';
import type { ConsumedRecord } from '../client/records.js';
import { faultRow, formatRecord, parseApi, parseCount, parseDuration, parseErrorCode, parseKeyValue, parseKeyValues, recordJson, table, toJson } from './format.js';

const rec: ConsumedRecord = {
  partition: 2,
  offset: 41n,
  timestamp: 1700000000123n,
  key: Buffer.from('user-1'),
  value: Buffer.from('hello'),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
  ],
};

t.test('tables: aligned columns, no trailing spaces', async (t) => {
  t.equal(table(['A', 'LONGER'], [['xyz', 1], ['q', 22n]]), 'A    LONGER\nxyz  1\nq    22\n');
  t.equal(table(['ONLY'], []), 'ONLY\n');
  t.equal(table(['A', 'B'], [['', '']]), 'A  B\n\n', 'an empty row is an empty line');
});

t.test('format strings as kcat -f', async (t) => {
  t.equal(formatRecord('%t %p %o %k %s %v %T %h %K %S %% %x\\n', 'orders', rec), 'orders 2 41 user-1 hello hello 1700000000123 a=1,b= 6 5 % %x\n');
  t.equal(formatRecord('%k|%s', 'o', { ...rec, key: null, value: null }), '|', 'nulls print as nothing');
  t.equal(formatRecord('%K %S', 'o', { ...rec, key: null, value: null }), '-1 -1');
  t.equal(formatRecord('a\\tb\\\\', 'o', rec), 'a\tb\\');
});

t.test('--json records: text when UTF-8, base64 when not, numbers for offsets', async (t) => {
  t.same(recordJson('o', rec), { topic: 'o', partition: 2, offset: 41, timestamp: 1700000000123, key: 'user-1', value: 'hello', headers: [{ key: 'a', value: '1' }, { key: 'b', value: null }] });
  const bin = recordJson('o', { ...rec, value: Buffer.from([0xff, 0xfe, 0x00]) });
  t.same(bin['value'], { base64: '//4A' });
  t.equal(toJson({ a: 5n, b: [1n] }), '{"a":5,"b":[1]}');
});

t.test('key=value, durations, counts', async (t) => {
  t.same(parseKeyValue('a=b=c', '--set'), ['a', 'b=c']);
  t.same(parseKeyValue('a=', '--set'), ['a', '']);
  t.throws(() => parseKeyValue('=x', '--set'), /--set: "=x" is not key=value/);
  t.throws(() => parseKeyValue('novalue', '--header'), /--header/);
  t.same(parseKeyValues(['x=1', 'y=2', 'x=3'], '--config'), { x: '3', y: '2' });
  t.same(parseKeyValues(undefined, '--config'), {});
  t.equal(parseDuration('691200000'), 691_200_000);
  t.equal(parseDuration('8d'), 691_200_000);
  t.equal(parseDuration('45s'), 45_000);
  t.equal(parseDuration('1.5h'), 5_400_000);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('2m'), 120_000);
  t.throws(() => parseDuration('-5s'), /not a duration/);
  t.throws(() => parseDuration('5 weeks'), /not a duration/);
  t.equal(parseCount(3, '--count'), 3);
  t.throws(() => parseCount(-1, '--count'), /--count must be a non-negative integer, got -1/);
  t.throws(() => parseCount(1.5, '--offset'), /--offset/);
  t.throws(() => parseCount(NaN, '--offset'), /--offset/);
});

t.test('APIs and errors by name or number', async (t) => {
  t.equal(parseApi('Produce'), 0);
  t.equal(parseApi('fetch'), 1);
  t.equal(parseApi('18'), 18);
  t.equal(parseApi('OffsetCommit'), 8);
  t.throws(() => parseApi('Nope'), /no API named "Nope"/);
  t.equal(parseErrorCode('NOT_LEADER_OR_FOLLOWER'), 6);
  t.equal(parseErrorCode('not_leader_or_follower'), 6);
  t.equal(parseErrorCode('-1'), -1);
  t.throws(() => parseErrorCode('NOPE'), /no error named "NOPE"/);
});

t.test('fault rows for fault list', async (t) => {
  t.same(faultRow({ id: 3, apiKey: 0, errorCode: 6, times: 2, matched: 1, fired: 1 }), ['3', 'api=Produce', 'error NOT_LEADER_OR_FOLLOWER (6)', 'times 2', '1', '1']);
  t.same(faultRow({ id: 4, apiKey: 1, minVersion: 4, maxVersion: 11, topic: 't', partition: 0, delayMs: 50, always: true, matched: 0, fired: 0 }), ['4', 'api=Fetch v4-11 topic=t partition=0', 'delay 50ms', 'always', '0', '0']);
  t.same(faultRow({ id: 5, apiKey: 3, disconnect: true, nth: 3 })[2], 'disconnect');
  t.same(faultRow({ id: 6, apiKey: 3, noAnswer: true, probability: 0.5, seed: 9 }).slice(2, 4), ['no answer', 'p=0.5 seed 9']);
  t.same(faultRow({ id: 7, apiKey: 3, disconnect: true, nth: 3 })[3], 'nth 3');
  t.same(faultRow({ id: 8, apiKey: 0, hold: true, held: 2 })[2], 'hold (2 held)');
  t.same(faultRow({ id: 9, apiKey: 3, response: { controllerId: 5 } })[2], 'response {"controllerId":5}');
});
