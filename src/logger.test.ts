/**
 * Log lines a client can shape: what it sends never forges a line of its own, and what it can
 * cause at will (refused frames) is written a few times per window and counted.
 */
import { connect } from 'node:net';
import t from 'tap';
import { createLogger, oneLine, RateLimitedLog } from './logger.js';
import { startBroker } from './index.js';
import { tmpDataDir } from '../compat-tests/harness.js';
import { RawClient } from '../compat-tests/raw-client.js';
import { JoinGroup } from './protocol/generated/index.js';

t.test('control characters in a message are escaped: one call, one line', async (t) => {
  const lines: string[] = [];
  const log = createLogger('debug', (l) => lines.push(l));
  log.warn('group "g\n2026-01-01T00:00:00.000Z ERROR forged" joined\r\tend\x00\x7f');
  t.equal(lines.length, 1);
  t.notOk(lines[0]!.includes('\n'), 'no newline inside the line');
  t.match(lines[0]!, /g\\n2026-01-01T00:00:00\.000Z ERROR forged" joined\\r\\tend\\x00\\x7f$/);
  t.equal(oneLine('plain text, unchanged'), 'plain text, unchanged');
});

t.test('RateLimitedLog writes at most linesMax per window, counts the rest and says so', async (t) => {
  let now = 0;
  const written: string[] = [];
  const limited = new RateLimitedLog((m) => written.push(m), 3, 1000, () => now);
  for (let i = 0; i < 10; i++) limited.log(`refused ${i}`);
  t.same(written, ['refused 0', 'refused 1', 'refused 2']);
  now = 999;
  limited.log('refused 10');
  t.equal(written.length, 3, 'still the same window');
  now = 1000;
  limited.log('refused 11');
  t.same(written[3], 'refused 11 (and 8 more like this in the previous 1 s, not shown)');
  t.equal(limited.total, 12, 'every line is counted');
});

t.test('a broker refusing many frames writes a bounded number of lines; a group id cannot forge a line', async (t) => {
  const lines: string[] = [];
  const data = tmpDataDir('sluice-logger-');
  const broker = await startBroker({ port: 0, dataDir: data.dir, logger: createLogger('debug', (l) => lines.push(l)) });
  t.teardown(async () => {
    await broker.stop();
    data.remove();
  });
  const refusals = 60;
  for (let i = 0; i < refusals; i++) {
    await new Promise<void>((resolve) => {
      const s = connect(broker.port, '127.0.0.1', () => s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])));
      s.on('close', () => resolve());
      s.on('error', () => {});
    });
  }
  const closing = lines.filter((l) => l.includes('closing connection'));
  t.ok(closing.length >= 1 && closing.length <= 10, `${closing.length} lines for ${refusals} refused frames`);

  const c = await RawClient.connect(broker.port);
  const forged = 'g\n2026-01-01T00:00:00.000Z ERROR forged line';
  const join = (memberId: string) =>
    c.request(JoinGroup, 5, {
      groupId: forged,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      reason: null,
    });
  const first = await join('');
  t.equal(first.errorCode, 79, 'MEMBER_ID_REQUIRED');
  const joined = await join(first.memberId);
  t.equal(joined.errorCode, 0, 'joined: the coordinator logs the generation with the group id');
  c.close();
  t.ok(lines.some((l) => l.includes('forged line')), 'the group id was logged');
  t.notOk(lines.some((l) => l.startsWith('2026-01-01T00:00:00.000Z')), 'no line starts with what the client sent');
  t.ok(lines.every((l) => !l.includes('\n')), 'every line is one line');
});
