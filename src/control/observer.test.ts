import t from 'tap';
import { newSession } from '../auth/session.js';
import { Observer, ConnectionStats } from './observer.js';

const session = () => {
  const s = newSession('PLAINTEXT', 'PLAINTEXT', '127.0.0.1');
  s.clientSoftwareName = 'kcat';
  s.clientSoftwareVersion = '1.7.1';
  return s;
};

t.test('answered: one log entry with the session software, the error and the fault; counted per connection', async (t) => {
  const o = new Observer();
  const c = o.connectionOpened('PLAINTEXT', '127.0.0.1:5555', session());
  const base = { apiKey: 3, apiName: 'Metadata', apiVersion: 12, clientId: 'cid', receivedMs: 1000, receivedAt: 10, request: {}, response: { topics: [{ errorCode: 3, partitions: [] }] }, errorCode: null, faultId: null, notes: [], handled: true };
  o.answered(c, base, 12.5);
  o.answered(c, { ...base, apiKey: 0, apiName: 'Produce', apiVersion: 9, response: null, errorCode: 6, faultId: 4, notes: ['Produce v9 note'], handled: false }, 11);
  const [first, second] = o.requests.recent();
  t.match(first, { connectionId: c.id, clientId: 'cid', clientSoftware: 'kcat', clientSoftwareVersion: '1.7.1', apiName: 'Metadata', errorCode: 3, fault: null, latencyMs: 2.5 });
  t.match(second, { apiKey: 0, errorCode: 6, fault: 4, notes: ['Produce v9 note'] });
  t.equal(o.metrics.all.messagesIn, 0, 'a request a fault answered appended nothing');
  const [view] = o.connections();
  t.match(view, { id: c.id, listener: 'PLAINTEXT', remote: '127.0.0.1:5555', clientId: 'cid', clientSoftware: 'kcat', principal: 'User:ANONYMOUS', requests: 2, apiVersions: { Metadata: 12, Produce: 9 } });
  o.connectionClosed(c);
  t.same(o.connections(), []);
  t.ok(o.connectionOpened('PLAINTEXT', 'x', session()).id > c.id, 'ids are not reused');
});

t.test('requestsPerSec: over the last complete 5 s window; zero after a silent one', async (t) => {
  const c = new ConnectionStats(1, 'PLAINTEXT', 'r', session(), 0);
  for (let i = 0; i < 10; i++) c.counted('Fetch', 11, null, i * 100);
  t.equal(c.requestsPerSec(2000), 5, 'first window: since opened');
  c.counted('Fetch', 11, null, 5000);
  t.equal(c.requestsPerSec(5500), 2, '10 requests in the first 5 s');
  t.equal(c.requestsPerSec(20_000), 0, 'nothing for more than a window');
});
