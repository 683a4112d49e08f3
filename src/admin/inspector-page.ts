/**
 * The inspector (issue 14, item 4): one self-contained HTML page, served at GET / on the admin
 * port. Inline CSS and script, no build step, nothing fetched from anywhere but its own origin. It
 * polls once a second:
 *
 *   GET /inspector/state   topics and partitions, groups with lag, transactions, producers, faults
 *                          (inspector-state.ts)
 *   GET /connections       live connections        } served by other parts of the admin endpoint;
 *   GET /requests?limit=N  recent requests, errors } a 404 shows "not available" and the rest of
 *   GET /clock             the broker's clock      } the page goes on
 *   GET /kafka4-notes      per client, what Kafka 4.0 removed that it still uses (KIP-896)
 *   GET /kafka-version     the Kafka release whose API ranges are advertised
 *
 * Every string from the broker (topic names, client ids, hosts are client input) reaches the
 * DOM as a text node (createTextNode / textContent), never as markup: the script has no innerHTML.
 * The response also carries a Content-Security-Policy whose script-src is a per-response nonce,
 * so even markup that got in some other way could not run an inline handler.
 *
 * The page is a TypeScript string because the broker runs from one bundle (dist/sluice.mjs) with
 * no files beside it. The script inside avoids backquotes and dollar-brace so it can sit in this
 * template literal unchanged.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.js';
import { apiCodecs } from '../protocol/generated/index.js';

/** JSON safe to put inside a script element (no "</script>", no "<!--"). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const ERROR_NAMES = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name]));
const API_NAMES = Object.fromEntries([...apiCodecs.values()].map((c) => [c.apiKey, c.name]));

/** The page with a fresh nonce, and the Content-Security-Policy that goes with it. */
export function inspectorPage(): { html: string; csp: string } {
  const nonce = randomBytes(16).toString('base64');
  const html = PAGE.replace(/__NONCE__/g, nonce)
    .replace('__ERROR_NAMES__', () => scriptJson(ERROR_NAMES))
    .replace('__API_NAMES__', () => scriptJson(API_NAMES));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice inspector</title>
<style nonce="__NONCE__">
:root { --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --dim: #6b7385; --line: #e2e5eb; --accent: #0b6bcb; --bad: #c62828; --warn: #b26a00; --ok: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
header { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; padding: 10px 18px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0 8px 0 0; }
header .meta { color: #c9cfdb; }
header .meta b { color: #fff; font-weight: 600; }
#status.live::before { content: "\25CF  "; color: #6fdc8c; }
#status.stale::before { content: "\25CF  "; color: #ff8a80; }
nav { display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 6px 18px; background: #e9ecf1; border-bottom: 1px solid var(--line); }
nav a { color: var(--accent); text-decoration: none; }
main { padding: 12px 18px 40px; display: grid; gap: 14px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; overflow-x: auto; }
section h2 { font-size: 14px; margin: 0 0 8px; display: flex; gap: 12px; align-items: baseline; }
section h2 .count { color: var(--dim); font-weight: normal; }
section h2 label { margin-left: auto; font-weight: normal; color: var(--dim); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; vertical-align: top; }
th { color: var(--dim); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; word-break: break-all; }
tr.topic-first td { border-top: 2px solid var(--line); }
.dim { color: var(--dim); }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.ok { color: var(--ok); }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; background: #e9ecf1; color: var(--dim); font-size: 11px; margin-left: 6px; }
tr.bad-row td { background: #fff4f4; }
.badge.warn { color: var(--warn); background: #fff3e0; }
.badge.ok { color: var(--ok); background: #e8f5e9; }
.na { color: var(--dim); font-style: italic; }
.more { color: var(--dim); padding: 4px 8px; }
.group { border-top: 1px solid var(--line); padding: 8px 0 10px; }
.group:first-of-type { border-top: none; }
.group h3 { font-size: 13px; margin: 0 0 6px; }
.group h4 { font-size: 12px; margin: 8px 0 2px; color: var(--dim); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
</style>
</head>
<body>
<header>
  <h1>Sluice inspector</h1>
  <span class="meta" id="node">node <b>?</b></span>
  <span class="meta" id="clock">clock <b>?</b></span>
  <span class="meta" id="kafka-version"></span>
  <span class="meta" id="status">connecting</span>
  <label class="meta"><input type="checkbox" id="pause"> pause</label>
</header>
<nav>
  <a href="#topics">Topics</a><a href="#groups">Groups</a><a href="#transactions">Transactions</a><a href="#producers">Producers</a>
  <a href="#connections">Connections</a><a href="#requests">Requests</a><a href="#faults">Faults</a><a href="#telemetry">Telemetry</a><a href="#kafka4">Kafka 4</a>
</nav>
<main>
  <section id="topics"><h2>Topics and partitions <span class="count"></span><label><input type="checkbox" id="show-internal"> internal topics</label></h2><div class="body"></div></section>
  <section id="groups"><h2>Groups <span class="count"></span></h2><div class="body"></div></section>
  <section id="transactions"><h2>Transactions <span class="count"></span></h2><div class="body"></div></section>
  <section id="producers"><h2>Producers <span class="count"></span></h2><div class="body"></div></section>
  <section id="connections"><h2>Connections <span class="count"></span></h2><div class="body"></div></section>
  <section id="requests"><h2>Recent requests <span class="count"></span><label><input type="checkbox" id="errors-only"> errors only</label></h2><div class="body"></div></section>
  <section id="faults"><h2>Armed faults <span class="count"></span></h2><div class="body"></div></section>
  <section id="telemetry"><h2>Client telemetry <span class="count"></span></h2><div class="body"></div></section>
  <section id="kafka4"><h2>Will this work on Kafka 4? <span class="count"></span></h2><div class="body"></div></section>
</main>
<script nonce="__NONCE__">
'use strict';
var ERROR_NAMES = __ERROR_NAMES__;
var API_NAMES = __API_NAMES__;
var POLL_MS = 1000;
var REQUESTS_SHOWN = 100;
var CONNECTIONS_SHOWN = 100;
var NOTES_SHOWN = 100;

// Builds an element; every child that is not a node becomes a text node (never markup).
function el(tag, cls, children) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  add(e, children);
  return e;
}
function add(e, c) {
  if (c === null || c === undefined) return;
  if (Array.isArray(c)) { for (var i = 0; i < c.length; i++) add(e, c[i]); return; }
  if (typeof c === 'object' && typeof c.nodeType === 'number') { e.appendChild(c); return; }
  e.appendChild(document.createTextNode(String(c)));
}
function dash(v) { return v === null || v === undefined || v === '' ? el('span', 'dim', '-') : v; }
function num(v) { return v === null || v === undefined ? el('span', 'dim', '-') : Number(v).toLocaleString('en-US'); }
function bytes(n) {
  if (n === null || n === undefined) return el('span', 'dim', '-');
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
  if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MiB';
  return (n / 1073741824).toFixed(2) + ' GiB';
}
function time(ms) { if (!ms) return el('span', 'dim', '-'); var d = new Date(ms); return d.toISOString().slice(11, 23); }
function duration(ms) {
  if (ms === null || ms === undefined) return el('span', 'dim', '-');
  if (ms < 1000) return ms + ' ms';
  if (ms < 120000) return (ms / 1000).toFixed(1) + ' s';
  if (ms < 7200000) return Math.round(ms / 60000) + ' min';
  return (ms / 3600000).toFixed(1) + ' h';
}
function errorName(code) { return code === 0 ? '' : (ERROR_NAMES[code] || 'error ' + code) + ' (' + code + ')'; }
function apiName(key) { return API_NAMES[key] || 'API ' + key; }

// A table: headers like 'Name' or '#HW' (# = numeric column); rows of cells, or {cls, cells}.
function table(headers, rows) {
  var head = el('tr', null, headers.map(function (h) { return h.charAt(0) === '#' ? el('th', 'num', h.slice(1)) : el('th', null, h); }));
  var body = rows.map(function (r) {
    var cells = Array.isArray(r) ? r : r.cells;
    var tr = el('tr', Array.isArray(r) ? null : r.cls, cells.map(function (c, i) {
      var numeric = headers[i] && headers[i].charAt(0) === '#';
      if (c && typeof c === 'object' && typeof c.nodeType !== 'number' && 'td' in c) return el('td', (numeric ? 'num ' : '') + (c.cls || ''), c.td);
      return el('td', numeric ? 'num' : null, dash(c));
    }));
    return tr;
  });
  return el('table', null, [el('thead', null, head), el('tbody', null, body)]);
}
function more(total, shown, what) { return total > shown ? el('div', 'more', '+' + (total - shown) + ' more ' + what) : null; }
function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
function notAvailable(why) { return el('div', 'na', why); }

function section(id, count, content) {
  var s = document.getElementById(id);
  s.querySelector('h2 .count').textContent = count;
  var body = s.querySelector('.body');
  body.replaceChildren.apply(body, [].concat(content).filter(function (x) { return x; }));
}

function renderTopics(st) {
  var showInternal = document.getElementById('show-internal').checked;
  var rows = [];
  var hidden = 0;
  st.topics.rows.forEach(function (t) {
    if (t.internal && !showInternal) { hidden++; return; }
    t.partitions.rows.forEach(function (p, i) {
      var name = i === 0 ? [t.name, t.internal ? el('span', 'badge', 'internal') : null] : null;
      var isrShort = p.isr.length < p.replicas.length;
      rows.push({ cls: i === 0 ? 'topic-first' : null, cells: [
        { td: i === 0 ? name : '', cls: 'wrap' }, p.partition, p.leader, p.leaderEpoch, p.replicas.join(','),
        { td: p.isr.join(','), cls: isrShort ? 'warn' : '' },
        p.offline ? { td: 'offline', cls: 'bad' } : num(p.logStartOffset), num(p.highWatermark), num(p.lastStableOffset), num(p.logEndOffset),
        bytes(p.sizeBytes), num(p.segments),
      ] });
    });
    if (t.partitions.total > t.partitions.rows.length) rows.push(['', { td: '+' + (t.partitions.total - t.partitions.rows.length) + ' more partitions', cls: 'dim' }]);
  });
  var parts = [];
  parts.push(rows.length ? table(['Topic', '#P', '#Leader', '#Epoch', 'Replicas', 'ISR', '#Log start', '#High watermark', '#LSO', '#Log end', '#Size', '#Segments'], rows) : notAvailable('no topics'));
  parts.push(more(st.topics.total, st.topics.rows.length, 'topics'));
  if (hidden) parts.push(el('div', 'more', hidden + ' internal topics hidden'));
  section('topics', plural(st.topics.total, 'topic', 'topics'), parts);
}

function renderGroups(st) {
  var parts = st.groups.rows.map(function (g) {
    var lagCls = g.totalLag > 0 ? 'warn' : 'ok';
    var head = el('h3', null, [g.groupId, el('span', 'badge', g.state), el('span', 'badge', (g.protocolType || 'no protocol type') + (g.protocol ? ' / ' + g.protocol : '')),
      el('span', 'badge', 'generation ' + g.generationId), el('span', 'badge ' + lagCls, 'lag ' + g.totalLag.toLocaleString('en-US'))]);
    var members = g.members.rows.map(function (m) {
      var a = m.assignment === null ? m.assignmentBytes + ' bytes' : m.assignment.map(function (x) { return x.topic + ' [' + x.partitions.join(',') + ']'; }).join('; ');
      return [{ td: m.memberId, cls: 'wrap' }, m.clientId, m.clientHost, dash(m.groupInstanceId), { td: a, cls: 'wrap' }, m.memberId === g.leaderId ? 'leader' : ''];
    });
    var offsets = g.offsets.rows.map(function (o) {
      return [o.topic, o.partition, num(o.committedOffset), num(o.highWatermark), { td: num(o.lag), cls: o.lag > 0 ? 'warn' : '' }, { td: dash(o.memberId), cls: 'wrap' }];
    });
    return el('div', 'group', [head,
      el('h4', null, 'Members (' + g.members.total + ')'),
      members.length ? table(['Member', 'Client id', 'Host', 'Instance id', 'Assignment', ''], members) : notAvailable('no members'),
      more(g.members.total, g.members.rows.length, 'members'),
      el('h4', null, 'Offsets and lag (' + g.offsets.total + ')'),
      offsets.length ? table(['Topic', '#Partition', '#Committed', '#High watermark', '#Lag', 'Member'], offsets) : notAvailable('nothing committed or assigned'),
      more(g.offsets.total, g.offsets.rows.length, 'partitions')]);
  });
  if (!parts.length) parts = [notAvailable('no groups coordinated by this node')];
  parts.push(more(st.groups.total, st.groups.rows.length, 'groups'));
  section('groups', plural(st.groups.total, 'group', 'groups'), parts);
}

function renderTransactions(st, nowMs) {
  var open = 0;
  var rows = st.transactions.rows.map(function (t) {
    var ongoing = t.state === 'Ongoing';
    if (ongoing) open++;
    var parts = t.partitions.map(function (p) { return p.topic + '-' + p.partition; }).join(', ');
    return { cls: ongoing ? null : 'dim', cells: [{ td: t.transactionalId, cls: 'wrap' }, t.producerId, t.producerEpoch, { td: t.state, cls: ongoing ? 'warn' : '' },
      { td: parts || '-', cls: 'wrap' }, duration(t.timeoutMs), ongoing && t.startMs > 0 ? duration(Math.max(0, nowMs - t.startMs)) : ''] };
  });
  section('transactions', open + ' open of ' + st.transactions.total, [
    rows.length ? table(['Transactional id', '#Producer id', '#Epoch', 'State', 'Partitions', '#Timeout', '#Open for'], rows) : notAvailable('no transactional ids coordinated by this node'),
    more(st.transactions.total, st.transactions.rows.length, 'transactional ids')]);
}

function renderProducers(st) {
  var rows = st.producers.rows.map(function (p) {
    return [p.topic + '-' + p.partition, p.producerId, p.producerEpoch, num(p.lastSequence), time(p.lastTimestampMs),
      p.openTxnFirstOffset === null ? '' : { td: 'open from ' + p.openTxnFirstOffset, cls: 'warn' }];
  });
  section('producers', plural(st.producers.total, 'producer state', 'producer states'), [
    rows.length ? table(['Partition', '#Producer id', '#Epoch', '#Last sequence', 'Last timestamp', 'Transaction'], rows) : notAvailable('no idempotent or transactional producers'),
    more(st.producers.total, st.producers.rows.length, 'producer states')]);
}

function renderFaults(st) {
  var MATCH = ['apiKey', 'minVersion', 'maxVersion', 'clientId', 'topic', 'partition'];
  var ACTION = ['errorCode', 'delayMs', 'disconnect', 'noAnswer'];
  var TRIGGER = ['times', 'nth', 'always', 'probability', 'seed'];
  function pick(f, keys) {
    return keys.filter(function (k) { return f[k] !== undefined && f[k] !== null && f[k] !== false; }).map(function (k) {
      if (k === 'apiKey') return apiName(f[k]) + ' (' + f[k] + ')';
      if (k === 'errorCode') return errorName(f[k]) || 'error 0';
      if (f[k] === true) return k;
      return k + ' ' + (typeof f[k] === 'string' ? JSON.stringify(f[k]) : f[k]);
    }).join(', ');
  }
  var rows = st.faults.rows.map(function (f) {
    return [f.id, { td: pick(f, MATCH) || 'every request', cls: 'wrap' }, { td: pick(f, ACTION), cls: 'bad' }, pick(f, TRIGGER) || 'once', f.matched, f.fired];
  });
  section('faults', st.faults.total + ' armed', [
    rows.length ? table(['#Id', 'Matches', 'Action', 'Trigger', '#Matched', '#Fired'], rows) : notAvailable('no faults armed'),
    more(st.faults.total, st.faults.rows.length, 'faults')]);
}

function renderTelemetry(st) {
  var t = st.telemetry || { total: 0, rows: [] };
  var rows = t.rows.map(function (c) {
    var names = c.lastMetricNames.slice(0, 20).join(', ') + (c.lastMetricNames.length > 20 ? ' +' + (c.lastMetricNames.length - 20) + ' more' : '');
    return { cls: c.lastError !== 0 ? 'bad-row' : null, cells: [{ td: c.clientInstanceId, cls: 'wrap' }, dash(c.clientId),
      dash(c.clientSoftwareName ? c.clientSoftwareName + (c.clientSoftwareVersion ? ' ' + c.clientSoftwareVersion : '') : null),
      { td: c.requestedMetrics.join(', ') || 'none', cls: 'wrap' }, duration(c.pushIntervalMs), num(c.pushes), c.lastPushMs === null ? '' : time(c.lastPushMs),
      num(c.lastPushBytes), dash(c.lastCompression), { td: names, cls: 'wrap' }, { td: errorName(c.lastError), cls: c.lastError !== 0 ? 'bad' : '' }] };
  });
  section('telemetry', plural(t.total, 'client instance', 'client instances'), [
    rows.length ? table(['Client instance', 'Client id', 'Software', 'Subscribed metrics', '#Interval', '#Pushes', 'Last push', '#Bytes', 'Compression', 'Metrics pushed last', 'Last error'], rows)
      : notAvailable('no client asked for telemetry subscriptions (KIP-714)'),
    more(t.total, t.rows.length, 'client instances')]);
}

function software(x) { return x.clientSoftware ? x.clientSoftware + (x.clientSoftwareVersion ? ' ' + x.clientSoftwareVersion : '') : null; }

function renderConnections(r) {
  if (!r.ok) { section('connections', '', notAvailable(r.why)); return; }
  var list = Array.isArray(r.body) ? r.body : [];
  var rows = list.slice(0, CONNECTIONS_SHOWN).map(function (c) {
    var versions = c.apiVersions ? Object.keys(c.apiVersions).map(function (k) { return k + ' v' + c.apiVersions[k]; }).join(', ') : '';
    return [c.id, c.listener, c.remote, dash(c.clientId), dash(software(c)), dash(c.principal), time(c.openedMs), num(c.requests),
      c.requestsPerSec === undefined ? '' : Number(c.requestsPerSec).toFixed(1), { td: versions, cls: 'wrap' }];
  });
  section('connections', list.length + ' open', [
    rows.length ? table(['#Id', 'Listener', 'Remote', 'Client id', 'Software', 'Principal', 'Opened', '#Requests', '#Req/s', 'API versions'], rows) : notAvailable('no connections'),
    more(list.length, rows.length, 'connections')]);
}

function renderRequests(r) {
  if (!r.ok) { section('requests', '', notAvailable(r.why)); return; }
  var list = Array.isArray(r.body) ? r.body.slice() : [];
  var errors = list.filter(function (q) { return q.errorCode !== 0; }).length;
  var onlyErrors = document.getElementById('errors-only').checked;
  var shown = list.reverse().filter(function (q) { return !onlyErrors || q.errorCode !== 0; }).slice(0, REQUESTS_SHOWN);
  var rows = shown.map(function (q) {
    var notes = (q.notes || []).join('; ');
    return { cls: q.errorCode !== 0 ? 'bad-row' : null, cells: [time(q.ts), q.connectionId, dash(q.clientId), dash(software(q)),
      (q.apiName || apiName(q.apiKey)) + ' v' + q.apiVersion, q.latencyMs === undefined ? '' : Number(q.latencyMs).toFixed(1),
      { td: errorName(q.errorCode), cls: q.errorCode !== 0 ? 'bad' : '' }, dash(q.fault), { td: notes, cls: notes ? 'warn wrap' : '' }] };
  });
  section('requests', 'last ' + list.length + ', ' + errors + ' with errors', [
    rows.length ? table(['Time', '#Conn', 'Client id', 'Software', 'API', '#Latency ms', 'Error', 'Fault', 'Notes'], rows) : notAvailable(onlyErrors ? 'no errors' : 'no requests yet')]);
}

function renderKafka4(r) {
  if (!r.ok) { section('kafka4', '', notAvailable(r.why)); return; }
  var rows = [];
  var total = 0;
  (Array.isArray(r.body) ? r.body : []).forEach(function (c) {
    (c.notes || []).forEach(function (n) {
      total++;
      if (rows.length < NOTES_SHOWN) rows.push([dash(c.clientId), dash(software(c)), { td: n.note, cls: 'warn wrap' }, num(n.count), time(n.firstMs), time(n.lastMs)]);
    });
  });
  section('kafka4', total === 0 ? 'nothing noted' : plural(total, 'note', 'notes'), [
    rows.length ? table(['Client id', 'Software', 'Removed in Kafka 4.0 or a removed config', '#Requests', 'First', 'Last'], rows) : notAvailable('no client used anything Kafka 4.0 removed'),
    more(total, rows.length, 'notes')]);
}

function renderKafkaVersion(r) {
  var e = document.getElementById('kafka-version');
  if (!r.ok || !r.body || !r.body.version) { e.replaceChildren(); return; }
  e.replaceChildren('advertises ', el('b', null, 'Kafka ' + r.body.version), ' API ranges');
}

function renderClock(r, st) {
  var c = document.getElementById('clock');
  if (!r.ok) { c.replaceChildren('clock ', el('b', null, 'wall'), ' (GET /clock not available) ' + time(st ? st.generatedMs : Date.now())); return; }
  c.replaceChildren('clock ', el('b', null, String(r.body.mode)), ' ' + new Date(r.body.nowMs).toISOString().replace('T', ' ').slice(0, 23));
}

function get(path) {
  return fetch(path, { cache: 'no-store' }).then(function (res) {
    if (res.status === 404) return { ok: false, why: 'not available (GET ' + path.split('?')[0] + ' answered 404)' };
    if (!res.ok) return { ok: false, why: 'GET ' + path + ' answered ' + res.status };
    return res.json().then(function (body) { return { ok: true, body: body }; });
  }, function (err) { return { ok: false, why: 'GET ' + path + ' failed: ' + err.message, down: true }; });
}

var last = null;
var lastAll = null;
function render(all) {
  lastAll = all;
  var st = all[0], conns = all[1], reqs = all[2], clock = all[3], notes = all[4], version = all[5];
  var status = document.getElementById('status');
  if (!st.ok) {
    status.className = 'meta stale';
    status.textContent = 'broker not answering: ' + st.why + (last ? ' (showing ' + time(last.generatedMs) + ')' : '');
    return;
  }
  var s = st.body;
  last = s;
  document.getElementById('node').replaceChildren('node ', el('b', null, String(s.nodeId)), ' cluster ', el('b', null, s.clusterId));
  var nowMs = clock.ok ? clock.body.nowMs : s.generatedMs;
  renderClock(clock, s);
  renderTopics(s);
  renderGroups(s);
  renderTransactions(s, nowMs);
  renderProducers(s);
  renderFaults(s);
  renderTelemetry(s);
  renderConnections(conns);
  renderRequests(reqs);
  renderKafka4(notes);
  renderKafkaVersion(version);
  status.className = 'meta live';
  status.textContent = 'live, updated ' + new Date().toISOString().slice(11, 19);
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}

function poll() {
  if (document.getElementById('pause').checked) { setTimeout(poll, POLL_MS); return; }
  Promise.all([get('/inspector/state'), get('/connections'), get('/requests?limit=' + REQUESTS_SHOWN), get('/clock'), get('/kafka4-notes'), get('/kafka-version')])
    .then(render, function (err) { document.getElementById('status').textContent = 'error: ' + err.message; })
    .then(function () { setTimeout(poll, POLL_MS); });
}
// A filter re-renders what was fetched last (the poll loop keeps its own pace).
['show-internal', 'errors-only'].forEach(function (id) {
  document.getElementById(id).addEventListener('change', function () { if (lastAll) render(lastAll); });
});
poll();
</script>
</body>
</html>
`;
