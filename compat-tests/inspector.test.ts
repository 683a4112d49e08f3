/**
 * The inspector (issue 14, item 4) in a real browser: a `sluice start --admin-port` process, kafkajs
 * producing, a consumer group with lag, an open transaction and an armed fault; Debian's chromium
 * (apt package `chromium`, installed by .ci/run) driven by playwright-core opens GET / on the admin
 * port and must show each of them, update without a reload when more is produced, and show a
 * hostile client id and transactional id as text without running them.
 *
 * Screenshots go to a temporary directory; with UPDATE_SCREENSHOTS=1 they replace
 * docs/inspector*.png (the README's pictures).
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer, type Transaction } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, spawnBroker, tmpDataDir, until, type BrokerProcess } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE_CLIENT_ID = '<img src=x onerror=alert(1)>';
const HOSTILE_TXN_ID = '<script>window.__pwned=1</script>txn';
const TOPIC = 'insp-orders';
const TXN_TOPIC = 'insp-payments';
const GROUP = 'insp-group';

const data = tmpDataDir('sluice-inspector-');
const shots = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'sluice-inspector-shots-'));
let broker: BrokerProcess;
let admin = '';
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const clients: Array<{ disconnect(): Promise<void> }> = [];
let producer: Producer;
let consumer: Consumer;
let txn: Transaction;

t.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  broker = await spawnBroker({ dataDir: data.dir, admin: true });
  admin = broker.adminUrl!;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

t.teardown(async () => {
  for (const c of clients.reverse()) await c.disconnect().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await broker?.stop();
  data.remove();
  if (process.env.UPDATE_SCREENSHOTS !== '1') rmSync(shots, { recursive: true, force: true });
});

async function state(): Promise<any> {
  const res = await fetch(`${admin}/inspector/state`);
  if (res.status !== 200) throw new Error(`GET /inspector/state: ${res.status}`);
  return res.json();
}

/** The rows of a section's tables as arrays of cell texts. */
function rows(section: string): Promise<string[][]> {
  return page.$$eval(`#${section} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}

const topicRow = async (name: string): Promise<string[] | undefined> => (await rows('topics')).find((r) => r[0] === name);
// Columns of the topics table: Topic, P, Leader, Epoch, Replicas, ISR, Log start, HW, LSO, Log end, Size, Segments.
const HW = 7;
const LSO = 8;

t.test('set up: records, a consumer group with lag, an open transaction, an armed fault', async (t) => {
  const kafka = new Kafka({ clientId: 'insp-producer', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const adminClient = kafka.admin();
  await adminClient.connect();
  clients.push(adminClient);
  await adminClient.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }, { topic: TXN_TOPIC, numPartitions: 1 }] });

  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  clients.push(producer);
  await producer.send({ topic: TOPIC, messages: [1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: `order ${i}` })) });

  // The consumer, with a client id that is markup, reads the five and commits; then it pauses,
  // stays in the group, and three more records make a lag of 3.
  const hostile = new Kafka({ clientId: HOSTILE_CLIENT_ID, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  consumer = hostile.consumer({ groupId: GROUP, sessionTimeout: 30000, heartbeatInterval: 1000 });
  await consumer.connect();
  clients.push(consumer);
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => void seen++ });
  await until('the group commits offset 5', async () => (await state()).groups.rows.find((g: any) => g.groupId === GROUP)?.offsets.rows[0]?.committedOffset === 5, 30000);
  t.equal(seen, 5);
  consumer.pause([{ topic: TOPIC }]);
  await producer.send({ topic: TOPIC, messages: [6, 7, 8].map((i) => ({ value: `order ${i}` })) });

  // A transaction left open on another topic: its last stable offset stays at 0.
  const txnProducer = kafka.producer({ transactionalId: HOSTILE_TXN_ID, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 120000 });
  await txnProducer.connect();
  clients.push(txnProducer);
  txn = await txnProducer.transaction();
  await txn.send({ topic: TXN_TOPIC, messages: [{ value: 'pay 1' }, { value: 'pay 2' }] });

  const armed = await fetch(`${admin}/faults`, { method: 'POST', body: JSON.stringify({ apiKey: 0, topic: 'insp-never-written', errorCode: 6, times: 2 }) });
  t.equal(armed.status, 201);

  const s = await state();
  const orders = s.topics.rows.find((x: any) => x.name === TOPIC);
  t.match(orders.partitions.rows[0], { partition: 0, logStartOffset: 0, highWatermark: 8, lastStableOffset: 8, logEndOffset: 8, segments: 1, local: true });
  t.ok(orders.partitions.rows[0].sizeBytes > 0);
  t.match(s.topics.rows.find((x: any) => x.name === TXN_TOPIC).partitions.rows[0], { highWatermark: 2, lastStableOffset: 0 });
  const g = s.groups.rows.find((x: any) => x.groupId === GROUP);
  t.match(g, { state: 'Stable', protocolType: 'consumer', totalLag: 3 });
  t.match(g.offsets.rows, [{ topic: TOPIC, partition: 0, committedOffset: 5, highWatermark: 8, lag: 3 }]);
  t.match(g.members.rows, [{ clientId: HOSTILE_CLIENT_ID, assignment: [{ topic: TOPIC, partitions: [0] }] }]);
  t.match(s.transactions.rows, [{ transactionalId: HOSTILE_TXN_ID, state: 'Ongoing', partitions: [{ topic: TXN_TOPIC, partition: 0 }], timeoutMs: 120000 }]);
  t.match(s.faults.rows, [{ apiKey: 0, topic: 'insp-never-written', errorCode: 6, times: 2, fired: 0 }]);
  t.ok(s.producers.rows.some((p: any) => p.topic === TXN_TOPIC && p.openTxnFirstOffset === 0), 'the transactional producer, open from offset 0');
});

t.test('GET / is one self-contained page with a nonce-only script policy', async (t) => {
  const res = await fetch(`${admin}/`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
  t.notMatch(csp, /unsafe-inline/);
  const html = await res.text();
  t.notMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//, 'nothing loaded from elsewhere');
  t.notMatch(html, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'the script never writes markup');
});

t.test('the page shows the topic, the group with its lag, the open transaction and the fault', async (t) => {
  await page.goto(`${admin}/`);
  // Polled with evaluate (CDP, exempt from the page's CSP): waitForFunction with an expression
  // evals it inside the page after its first try, which the page's CSP (rightly) refuses.
  await until('the page rendered once', async () => Number(await page.evaluate('document.body.dataset.updates || 0')) >= 1, 15_000);
  t.same(pageErrors, [], 'no script errors');

  const orders = await topicRow(TOPIC);
  t.ok(orders, 'a row for the topic');
  t.equal(orders![HW], '8', 'high watermark');
  t.equal(orders![LSO], '8');
  const payments = await topicRow(TXN_TOPIC);
  t.equal(payments![HW], '2');
  t.equal(payments![LSO], '0', 'the open transaction holds the last stable offset');

  const groups = await page.locator('#groups').innerText();
  t.match(groups, GROUP);
  t.match(groups, /Stable/);
  t.match(groups, /lag 3/);
  const offsets = (await rows('groups')).find((r) => r[0] === TOPIC && r[1] === '0');
  t.same(offsets?.slice(0, 5), [TOPIC, '0', '5', '8', '3'], 'committed 5, high watermark 8, lag 3');

  const txns = (await rows('transactions')).find((r) => r[0] === HOSTILE_TXN_ID);
  t.ok(txns, 'the transactional id shown as text');
  t.equal(txns![3], 'Ongoing');
  t.equal(txns![4], `${TXN_TOPIC}-0`);

  const faults = await rows('faults');
  t.equal(faults.length, 1);
  t.match(faults[0]![1], /Produce \(0\).*topic "insp-never-written"/);
  t.match(faults[0]![2], /NOT_LEADER_OR_FOLLOWER \(6\)/);
  t.match(faults[0]![3], /times 2/);

  const clock = await page.locator('#clock').innerText();
  t.match(clock, /clock (wall|virtual)/);
  await page.screenshot({ path: join(shots, 'inspector.png') });
  t.ok(statSync(join(shots, 'inspector.png')).size > 10_000, 'a screenshot');
});

t.test('a live update appears without a reload', async (t) => {
  await page.evaluate('window.__sameDocument = true');
  const updates = async (): Promise<number> => Number(await page.evaluate('document.body.dataset.updates'));
  const before = await updates();
  await producer.send({ topic: TOPIC, messages: [9, 10].map((i) => ({ value: `order ${i}` })) });
  await until('the page shows high watermark 10', async () => (await topicRow(TOPIC))?.[HW] === '10', 5000);
  t.equal(await page.evaluate('window.__sameDocument'), true, 'the same document: no reload');
  t.ok((await updates()) > before, 'rendered again since');
  await until('the page shows lag 5', async () => /lag 5/.test(await page.locator('#groups').innerText()), 5000);
  t.pass('the lag went from 3 to 5');
});

t.test('hostile strings are shown as text and never run', async (t) => {
  const groups = await page.locator('#groups').innerText();
  t.match(groups, HOSTILE_CLIENT_ID, 'the client id, literally');
  t.equal(await page.locator('img').count(), 0, 'no <img> element was made from it');
  t.equal(await page.locator('main script').count(), 0, 'no <script> element was made from the transactional id');
  t.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
  // Give an onerror handler time to fire, had one been made.
  await page.waitForTimeout(300);
  t.notMatch(await page.locator('main').innerText(), /\[object |undefined|NaN/, 'every cell rendered as a value');
  t.same(dialogs, [], 'no alert');
  t.same(pageErrors, []);
  await page.locator('#groups').screenshot({ path: join(shots, 'inspector-groups.png') });
});

t.test('connections, requests and the clock: shown when served, "not available" on 404', async (t) => {
  const served = await Promise.all(['/connections', '/requests', '/clock', '/kafka4-notes'].map(async (p) => (await fetch(admin + p)).status === 200));
  const [conns, reqs, , notes] = served;
  const text = async (id: string) => page.locator(`#${id}`).innerText();
  if (conns) t.match(await text('connections'), HOSTILE_CLIENT_ID);
  else t.match(await text('connections'), /not available \(GET \/connections answered 404\)/);
  if (reqs) {
    t.match(await text('requests'), /Produce v\d+/);
    await page.locator('#requests').screenshot({ path: join(shots, 'inspector-requests.png') });
  }
  else t.match(await text('requests'), /not available \(GET \/requests answered 404\)/);
  if (notes) t.match(await text('kafka4'), /nothing noted|note/);
  else t.match(await text('kafka4'), /not available \(GET \/kafka4-notes answered 404\)/);
  t.same(pageErrors, [], 'no script errors either way');
});

t.test('connections, requests and the clock as their routes answer (the shared JSON contract), hostile strings included', async (t) => {
  // The routes are served by other parts of the admin endpoint; here the browser is handed
  // answers of the agreed shape, so the page's rendering of them is checked on any branch.
  const p = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  t.teardown(() => p.close());
  const dialogsHere: string[] = [];
  const errorsHere: string[] = [];
  p.on('dialog', (d) => {
    dialogsHere.push(d.message());
    void d.dismiss();
  });
  p.on('pageerror', (e) => errorsHere.push(e.message));
  const evil = '<img src=y onerror=alert(2)>';
  const nowMs = Date.UTC(2026, 11, 2, 9, 0, 0);
  const connections = [
    { id: 7, listener: 'PLAINTEXT', remote: '127.0.0.1:50123', clientId: evil, clientSoftware: 'kafkajs', clientSoftwareVersion: '2.2.4', principal: 'User:ANONYMOUS', openedMs: nowMs - 5000, requests: 42, requestsPerSec: 3.5, apiVersions: { Produce: 7, Fetch: 11 } },
  ];
  const requests = [
    { ts: nowMs - 20, connectionId: 7, clientId: evil, clientSoftware: 'kafkajs', clientSoftwareVersion: '2.2.4', apiKey: 0, apiName: 'Produce', apiVersion: 7, latencyMs: 1.25, errorCode: 6, fault: 3, notes: [] },
    { ts: nowMs - 10, connectionId: 7, clientId: evil, clientSoftware: null, clientSoftwareVersion: null, apiKey: 1, apiName: 'Fetch', apiVersion: 3, latencyMs: 0.5, errorCode: 0, fault: null, notes: ['Fetch v3 was removed in Kafka 4.0 (KIP-896)'] },
  ];
  await p.route('**/connections', (r) => r.fulfill({ json: connections }));
  await p.route('**/requests?*', (r) => r.fulfill({ json: requests }));
  await p.route('**/clock', (r) => r.fulfill({ json: { mode: 'virtual', nowMs } }));
  const notes = [{ clientId: evil, clientSoftware: 'kafkajs', clientSoftwareVersion: '2.2.4', notes: [{ note: 'Fetch v3 was removed in Kafka 4.0 (KIP-896)', count: 12, firstMs: nowMs - 9000, lastMs: nowMs - 10 }] }];
  await p.route('**/kafka4-notes', (r) => r.fulfill({ json: notes }));
  await p.route('**/kafka-version', (r) => r.fulfill({ json: { version: '2.8', source: 'recorded', mode: 'kraft', apis: [], gaps: [] } }));
  await p.goto(`${admin}/`);
  await until('the page renders the connections', async () => /kafkajs 2\.2\.4/.test(await p.locator('#connections').innerText()), 5000);

  const conn = (await p.$$eval('#connections tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim()))))[0]!;
  t.same([conn[0], conn[1], conn[2], conn[3], conn[4], conn[5]], ['7', 'PLAINTEXT', '127.0.0.1:50123', evil, 'kafkajs 2.2.4', 'User:ANONYMOUS']);
  t.equal(conn[7], '42');
  t.equal(conn[8], '3.5', 'request rate');
  t.equal(conn[9], 'Produce v7, Fetch v11', 'negotiated versions');

  const reqs = await p.$$eval('#requests tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  t.equal(reqs.length, 2);
  t.equal(reqs[0]![4], 'Fetch v3', 'newest first');
  t.match(reqs[0]![8], /KIP-896/);
  t.equal(reqs[1]![4], 'Produce v7');
  t.equal(reqs[1]![6], 'NOT_LEADER_OR_FOLLOWER (6)');
  t.equal(reqs[1]![7], '3', 'the fault that fired');
  t.match(await p.locator('#requests h2').innerText(), /last 2, 1 with errors/);
  await p.locator('#errors-only').check();
  t.equal(await p.locator('#requests tbody tr').count(), 1, 'errors only');
  t.match(await p.locator('#clock').innerText(), /clock virtual 2026-12-02 09:00:00\.000/);
  t.match(await p.locator('#kafka-version').innerText(), /advertises Kafka 2\.8 API ranges/);
  const kafka4 = (await p.$$eval('#kafka4 tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim()))))[0]!;
  t.same(kafka4.slice(0, 4), [evil, 'kafkajs 2.2.4', 'Fetch v3 was removed in Kafka 4.0 (KIP-896)', '12'], 'the KIP-896 note per client');

  await p.waitForTimeout(300);
  t.equal(await p.locator('img').count(), 0);
  t.notMatch(await p.locator('main').innerText(), /\[object |undefined|NaN/, 'every cell rendered as a value');
  t.same(dialogsHere, []);
  t.same(errorsHere, []);
});

t.test('the page says so when the broker stops answering', async (t) => {
  await txn.abort();
  for (const c of clients.splice(0).reverse()) await c.disconnect();
  await broker.stop();
  await until('the page says the broker is not answering', async () => /broker not answering/.test(await page.locator('#status').innerText()), 5000);
  t.match(await page.locator('#topics').innerText(), TOPIC, 'the last snapshot stays on screen');
});
