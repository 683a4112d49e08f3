/**
 * The daily-work commands, like rpk and kcat, against any Kafka-protocol broker (Sluice or Apache
 * Kafka) at `--brokers host:port[,host:port]` (default 127.0.0.1:9092):
 *
 *   sluice topic create|list|describe|delete|alter-config
 *   sluice produce --topic T            lines of stdin as records
 *   sluice consume --topic T            records as lines (or --format, --json)
 *   sluice group list|describe|seek|delete
 *   sluice features describe|upgrade|downgrade|disable   finalized feature levels (kafka-features.sh)
 *   sluice cluster info
 *   sluice fault add|list|clear|remove|release|wait   faults over the admin endpoint (--admin, default 127.0.0.1:9644)
 *   sluice clock show|advance|pause|resume            the virtual clock over the admin endpoint
 *
 * Thin: parse, call src/client/, print (tables for people, --json for scripts). Loaded only for
 * these commands (src/cli/main.ts imports this module lazily), never on `sluice start`'s path.
 * Every failure is one line, `sluice: ...`, and exit code 1.
 */
import type { Argv } from 'yargs';
import { DEFAULT_ADMIN, adminCall, adminFailure, adminRequest } from '../client/admin-http.js';
import {
  alterTopicConfig,
  createTopics,
  deleteGroups,
  deleteTopics,
  describeGroup,
  describePartitions,
  describeFeatures,
  describeTopicConfigs,
  listGroups,
  seekGroup,
  type SeekTarget,
  updateFeatures,
  UpgradeType,
} from '../client/admin.js';
import { consume, type StartAt } from '../client/consumer.js';
import { KafkaClient, ToolError } from '../client/kafka-client.js';
import { produceLines } from '../client/producer.js';
import type { ConsumedRecord } from '../client/records.js';
import { faultRow, formatRecord, parseApi, parseCount, parseDuration, parseErrorCode, parseKeyValue, parseKeyValues, progressLine, recordJson, table, toJson } from './format.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

const out = (s: string): boolean => process.stdout.write(s);

/** The Kafka Uuid text form (base64url, no padding) of a topic id. */
const uuidText = (b: Buffer): string => b.toString('base64url');

interface Common {
  brokers: string;
  json: boolean;
}

/** Runs one command with a client; a ToolError becomes `sluice: message` and exit 1. */
async function withClient(a: { brokers: string }, body: (client: KafkaClient) => Promise<void>): Promise<void> {
  const client = new KafkaClient({ brokers: a.brokers });
  try {
    await body(client);
  } finally {
    client.close();
  }
}

function brokerOptions<T>(y: Argv<T>) {
  return y
    .option('brokers', { alias: 'b', type: 'string', default: DEFAULT_BROKERS, describe: 'bootstrap brokers, host:port[,host:port]' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' });
}

function adminOptions<T>(y: Argv<T>) {
  return y
    .option('admin', { type: 'string', default: DEFAULT_ADMIN, describe: 'the admin endpoint host:port (sluice start --admin-port PORT)' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' });
}

// -- topic ---------------------------------------------------------------------------------------------

async function topicCreate(a: Common & { names: string[]; partitions: number; 'replication-factor': number; config?: string[] }): Promise<void> {
  if (a.partitions !== -1 && (!Number.isInteger(a.partitions) || a.partitions < 1)) throw new ToolError(`--partitions must be a positive integer, got ${a.partitions}`);
  if (a['replication-factor'] !== -1 && (!Number.isInteger(a['replication-factor']) || a['replication-factor'] < 1)) {
    throw new ToolError(`--replication-factor must be a positive integer, got ${a['replication-factor']}`);
  }
  const configs = parseKeyValues(a.config, '--config');
  await withClient(a, async (client) => {
    const created = await createTopics(client, a.names, { partitions: a.partitions, replicationFactor: a['replication-factor'], configs });
    if (a.json) out(`${toJson(created)}\n`);
    else for (const t of created) out(`Created topic ${t.name} (${t.partitions} partitions, replication factor ${t.replicationFactor})\n`);
  });
}

async function topicList(a: Common & { internal: boolean }): Promise<void> {
  await withClient(a, async (client) => {
    const view = await client.cluster(null);
    const topics = view.topics
      .filter((t) => a.internal || !t.internal)
      .sort((x, y) => x.name.localeCompare(y.name))
      .map((t) => ({ name: t.name, topicId: uuidText(t.topicId), partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.internal }));
    if (a.json) out(`${toJson(topics)}\n`);
    else out(table(['TOPIC', 'PARTITIONS', 'REPLICAS', 'ID'], topics.map((t) => [t.name + (t.internal ? ' (internal)' : ''), t.partitions, t.replicationFactor, t.topicId])));
  });
}

async function topicDescribe(a: Common & { name: string; 'all-configs': boolean }): Promise<void> {
  await withClient(a, async (client) => {
    const { topic, partitions } = await describePartitions(client, a.name);
    const configs = await describeTopicConfigs(client, a.name);
    const shown = configs.filter((c) => a['all-configs'] || !c.isDefault);
    if (a.json) {
      out(
        `${toJson({
          name: topic.name,
          topicId: uuidText(topic.topicId),
          internal: topic.internal,
          partitions,
          configs: Object.fromEntries(shown.map((c) => [c.name, c.sensitive ? null : c.value])),
        })}\n`,
      );
      return;
    }
    out(`Topic ${topic.name}  id ${uuidText(topic.topicId)}  ${partitions.length} partitions  replication factor ${topic.partitions[0]?.replicas.length ?? 0}${topic.internal ? '  internal' : ''}\n\n`);
    out(
      table(
        ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'LOG-START', 'LOG-END'],
        partitions.map((p) => [p.partition, p.leader, p.leaderEpoch, p.replicas.join(','), p.isr.join(','), p.logStartOffset, p.logEndOffset]),
      ),
    );
    out(`\n${a['all-configs'] ? 'Configs' : 'Configs other than the defaults'}${shown.length === 0 ? ': none (--all-configs shows the defaults)' : ''}\n`);
    if (shown.length > 0) out(table(['NAME', 'VALUE', 'SOURCE'], shown.map((c) => [c.name, c.sensitive ? '(sensitive)' : (c.value ?? '(null)'), c.source])));
  });
}

async function topicDelete(a: Common & { names: string[] }): Promise<void> {
  await withClient(a, async (client) => {
    await deleteTopics(client, a.names);
    if (a.json) out(`${toJson(a.names.map((name) => ({ name, deleted: true })))}\n`);
    else for (const n of a.names) out(`Deleted topic ${n}\n`);
  });
}

async function topicAlterConfig(a: Common & { name: string; set?: string[]; delete?: string[] }): Promise<void> {
  const set = parseKeyValues(a.set, '--set');
  const remove = a.delete ?? [];
  if (Object.keys(set).length === 0 && remove.length === 0) throw new ToolError('say what to change: --set key=value and/or --delete key');
  await withClient(a, async (client) => {
    await alterTopicConfig(client, a.name, set, remove);
    if (a.json) out(`${toJson({ name: a.name, set, deleted: remove })}\n`);
    else out(`Altered topic ${a.name}:${Object.entries(set).map(([k, v]) => ` ${k}=${v}`).join('')}${remove.map((k) => ` -${k}`).join('')}\n`);
  });
}

// -- produce and consume --------------------------------------------------------------------------------

async function produceCommand(a: Common & { topic: string; 'key-separator'?: string; header?: string[]; partition?: number; acks: string }): Promise<void> {
  const acks = a.acks === 'all' || a.acks === '-1' ? -1 : a.acks === '1' ? 1 : null;
  if (acks === null) throw new ToolError(`--acks must be all or 1, got ${a.acks} (acks=0 has no answer to report errors with)`);
  const headers = (a.header ?? []).map((h) => {
    const [key, value] = parseKeyValue(h, '--header');
    return { key, value: Buffer.from(value, 'utf8') };
  });
  const partition = a.partition === undefined ? undefined : parseCount(a.partition, '--partition');
  if (a['key-separator'] === '') throw new ToolError('--key-separator must not be empty');
  const progress = progressLine('produced');
  await withClient(a, async (client) => {
    const summary = await produceLines(client, process.stdin, {
      topic: a.topic,
      headers,
      acks,
      ...(a['key-separator'] !== undefined ? { keySeparator: a['key-separator'] } : {}),
      ...(partition !== undefined ? { partition } : {}),
      onProgress: (n) => progress.update(n),
      // Typed at a terminal: each line goes as it is entered (as kcat -P does), not at end of input.
      ...(process.stdin.isTTY ? { flushRecords: 1 } : {}),
    });
    progress.done();
    if (a.json) out(`${toJson(summary)}\n`);
  });
}

async function consumeCommand(
  a: Common & {
    topic: string;
    'from-beginning': boolean;
    offset?: number;
    timestamp?: number;
    partition?: number[];
    group?: string;
    count?: number;
    end: boolean;
    format?: string;
    isolation: string;
  },
): Promise<void> {
  const starts = [a['from-beginning'], a.offset !== undefined, a.timestamp !== undefined].filter(Boolean).length;
  if (starts > 1) throw new ToolError('give at most one of --from-beginning, --offset and --timestamp');
  if (a.json && a.format !== undefined) throw new ToolError('give --json or --format, not both');
  if (a.isolation !== 'read_uncommitted' && a.isolation !== 'read_committed') throw new ToolError(`--isolation must be read_uncommitted or read_committed, got ${a.isolation}`);
  const start: StartAt =
    a.offset !== undefined
      ? { kind: 'offset', offset: BigInt(parseCount(a.offset, '--offset')) }
      : a.timestamp !== undefined
        ? { kind: 'timestamp', ms: BigInt(parseCount(a.timestamp, '--timestamp')) }
        : a['from-beginning']
          ? { kind: 'beginning' }
          : { kind: 'end' };
  const count = a.count === undefined ? undefined : parseCount(a.count, '--count');
  const partitions = a.partition?.map((p) => parseCount(p, '--partition'));
  const line = a.json ? (r: ConsumedRecord) => toJson(recordJson(a.topic, r)) : a.format !== undefined ? (r: ConsumedRecord) => formatRecord(a.format!, a.topic, r) : (r: ConsumedRecord) => (r.value === null ? 'null' : r.value.toString('utf8'));
  const newline = a.format === undefined;
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `sluice consume | head`: the reader went away; stop quietly.
    if (err.code === 'EPIPE') process.exit(0);
  });
  const progress = progressLine('consumed');
  let buffered: string[] = [];
  let n = 0;
  const flush = (): void => {
    if (buffered.length > 0) out(buffered.join(''));
    buffered = [];
  };
  if (count === 0) return;
  await withClient(a, async (client) => {
    await consume(client, {
      topic: a.topic,
      start,
      exitAtEnd: a.end,
      readCommitted: a.isolation === 'read_committed',
      signal: abort.signal,
      ...(partitions !== undefined ? { partitions } : {}),
      ...(a.group !== undefined ? { group: a.group } : {}),
      ...(count !== undefined ? { count } : {}),
      onRecord: (r) => {
        buffered.push(newline ? `${line(r)}\n` : line(r));
        n++;
        if (buffered.length >= 1000) {
          flush();
          progress.update(n);
        }
      },
      onFetched: () => {
        flush();
        progress.update(n);
      },
    });
    flush();
    progress.done();
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}

// -- group -----------------------------------------------------------------------------------------------

async function groupList(a: Common): Promise<void> {
  await withClient(a, async (client) => {
    const groups = await listGroups(client);
    if (a.json) out(`${toJson(groups)}\n`);
    else out(table(['GROUP', 'STATE', 'TYPE', 'PROTOCOL-TYPE'], groups.map((g) => [g.group, g.state || '-', g.type || '-', g.protocolType || '-'])));
  });
}

async function groupDescribe(a: Common & { group: string }): Promise<void> {
  await withClient(a, async (client) => {
    const d = await describeGroup(client, a.group);
    if (a.json) {
      out(`${toJson(d)}\n`);
      return;
    }
    out(`Group ${d.group}  state ${d.state}  protocol ${d.protocolType || '-'}/${d.protocol || '-'}  coordinator ${d.coordinator}  ${d.members.length} member(s)\n`);
    if (d.members.length > 0) {
      out('\n');
      out(
        table(
          ['MEMBER', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'],
          d.members.map((m) => [m.memberId, m.clientId, m.host, m.assignment.map((x) => `${x.topic}:${x.partitions.join(',')}`).join(' ') || '-']),
        ),
      );
    }
    out('\n');
    out(
      d.offsets.length === 0
        ? 'No committed offsets\n'
        : table(
            ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER'],
            d.offsets.map((o) => [o.topic, o.partition, o.committed < 0n ? '-' : o.committed, o.logEnd < 0n ? '-' : o.logEnd, o.lag < 0n ? '-' : o.lag, o.memberId ?? '-']),
          ),
    );
  });
}

async function groupSeek(a: Common & { group: string; topic: string; partition?: number[]; 'to-earliest': boolean; 'to-latest': boolean; 'to-offset'?: number; 'to-timestamp'?: number }): Promise<void> {
  const targets: SeekTarget[] = [];
  if (a['to-earliest']) targets.push({ kind: 'earliest' });
  if (a['to-latest']) targets.push({ kind: 'latest' });
  if (a['to-offset'] !== undefined) targets.push({ kind: 'offset', offset: BigInt(parseCount(a['to-offset'], '--to-offset')) });
  if (a['to-timestamp'] !== undefined) targets.push({ kind: 'timestamp', ms: BigInt(parseCount(a['to-timestamp'], '--to-timestamp')) });
  if (targets.length !== 1) throw new ToolError('give exactly one of --to-earliest, --to-latest, --to-offset N, --to-timestamp MS');
  const partitions = a.partition?.map((p) => parseCount(p, '--partition')) ?? null;
  await withClient(a, async (client) => {
    const moved = await seekGroup(client, a.group, a.topic, partitions, targets[0]!);
    if (a.json) out(`${toJson(moved)}\n`);
    else out(table(['TOPIC', 'PARTITION', 'NEW-OFFSET'], moved.map((m) => [m.topic, m.partition, m.offset])));
  });
}

async function groupDelete(a: Common & { groups: string[] }): Promise<void> {
  await withClient(a, async (client) => {
    await deleteGroups(client, a.groups);
    if (a.json) out(`${toJson(a.groups.map((group) => ({ group, deleted: true })))}\n`);
    else for (const g of a.groups) out(`Deleted group ${g}\n`);
  });
}

// -- features ---------------------------------------------------------------------------------------------

async function featuresDescribe(a: Common): Promise<void> {
  await withClient(a, async (client) => {
    const d = await describeFeatures(client);
    if (a.json) out(`${toJson(d)}\n`);
    else out(table(['FEATURE', 'SUPPORTED', 'FINALIZED'], d.features.map((f) => [f.feature, `${f.minSupported}-${f.maxSupported}`, f.finalized])));
  });
}

/** `name=level` pairs (or bare names for disable: level 0). */
function featureLevels(specs: string[], what: 'upgrade' | 'downgrade' | 'disable'): Array<{ feature: string; level: number }> {
  return specs.map((spec) => {
    if (what === 'disable') {
      if (spec.includes('=')) throw new ToolError(`disable takes feature names, not ${spec}: sluice features disable --feature NAME`);
      return { feature: spec, level: 0 };
    }
    const [feature, text] = parseKeyValue(spec, '--feature');
    const level = parseCount(text, `--feature ${feature}`);
    if (level > 0x7fff) throw new ToolError(`--feature ${feature}: a level is at most 32767, got ${level}`);
    return { feature, level };
  });
}

async function featuresUpdate(a: Common & { feature: string[]; 'dry-run': boolean; unsafe?: boolean }, what: 'upgrade' | 'downgrade' | 'disable'): Promise<void> {
  const levels = featureLevels(a.feature, what);
  const upgradeType = what === 'upgrade' ? UpgradeType.UPGRADE : a.unsafe ? UpgradeType.UNSAFE_DOWNGRADE : UpgradeType.SAFE_DOWNGRADE;
  await withClient(a, async (client) => {
    await updateFeatures(client, levels.map((l) => ({ ...l, upgradeType })), a['dry-run']);
    // As kafka-features.sh prints it.
    const done = `${what === 'upgrade' ? 'upgraded' : what === 'downgrade' ? 'downgraded' : 'disabled'}`;
    if (a.json) out(`${toJson(levels.map((l) => ({ ...l, dryRun: a['dry-run'] })))}\n`);
    else for (const l of levels) out(`${l.feature} ${a['dry-run'] ? 'can be' : 'was'} ${done}${what === 'disable' ? '' : ` to ${l.level}`}.\n`);
  });
}

// -- cluster info -----------------------------------------------------------------------------------------

async function clusterInfo(a: Common): Promise<void> {
  await withClient(a, async (client) => {
    const view = await client.cluster(null);
    const info = {
      clusterId: view.clusterId,
      controllerId: view.controllerId,
      brokers: view.brokers,
      topics: view.topics.filter((t) => !t.internal).length,
      internalTopics: view.topics.filter((t) => t.internal).length,
    };
    if (a.json) {
      out(`${toJson(info)}\n`);
      return;
    }
    out(`Cluster ${info.clusterId ?? '(no id)'}  controller ${info.controllerId}  ${info.brokers.length} broker(s)  ${info.topics} topic(s) (+${info.internalTopics} internal)\n\n`);
    out(table(['ID', 'HOST:PORT', 'RACK'], info.brokers.map((b) => [`${b.nodeId}${b.nodeId === info.controllerId ? '*' : ''}`, `${b.host}:${b.port}`, b.rack ?? '-'])));
  });
}

// -- fault and clock (admin endpoint) ---------------------------------------------------------------

interface AdminArgs {
  admin: string;
  json: boolean;
}

async function faultAdd(
  a: AdminArgs & {
    spec?: string;
    api?: string;
    'min-version'?: number;
    'max-version'?: number;
    'client-id'?: string;
    topic?: string;
    partition?: number;
    error?: string;
    'delay-ms'?: number;
    disconnect?: boolean;
    'no-answer'?: boolean;
    hold?: boolean;
    response?: string;
    times?: number;
    nth?: number;
    always?: boolean;
    probability?: number;
    seed?: number;
  },
): Promise<void> {
  let spec: Record<string, unknown> = {};
  if (a.spec !== undefined) {
    try {
      spec = JSON.parse(a.spec) as Record<string, unknown>;
    } catch (err) {
      throw new ToolError(`--spec is not JSON: ${(err as Error).message}`);
    }
  }
  if (a.api !== undefined) spec['apiKey'] = parseApi(a.api);
  if (spec['apiKey'] === undefined) throw new ToolError('say which requests: --api NAME|KEY (e.g. --api Produce)');
  const numbers: Array<[keyof typeof a, string]> = [
    ['min-version', 'minVersion'],
    ['max-version', 'maxVersion'],
    ['partition', 'partition'],
    ['delay-ms', 'delayMs'],
    ['times', 'times'],
    ['nth', 'nth'],
    ['probability', 'probability'],
    ['seed', 'seed'],
  ];
  for (const [flag, field] of numbers) if (a[flag] !== undefined) spec[field] = a[flag];
  if (a['client-id'] !== undefined) spec['clientId'] = a['client-id'];
  if (a.topic !== undefined) spec['topic'] = a.topic;
  if (a.error !== undefined) spec['errorCode'] = parseErrorCode(a.error);
  if (a.disconnect) spec['disconnect'] = true;
  if (a['no-answer']) spec['noAnswer'] = true;
  if (a.always) spec['always'] = true;
  if (a.hold) spec['hold'] = true;
  if (a.response !== undefined) {
    try {
      spec['response'] = JSON.parse(a.response) as unknown;
    } catch (err) {
      throw new ToolError(`--response is not JSON: ${(err as Error).message}`);
    }
  }
  const fault = (await adminCall(a.admin, 'POST', '/faults', spec, 'fault add')) as Record<string, unknown>;
  if (a.json) out(`${toJson(fault)}\n`);
  else out(`Armed fault ${String(fault['id'])}: ${faultRow(fault).slice(1, 4).join('; ')}\n`);
}

async function faultList(a: AdminArgs): Promise<void> {
  const faults = (await adminCall(a.admin, 'GET', '/faults', undefined, 'fault list')) as Array<Record<string, unknown>>;
  if (a.json) out(`${toJson(faults)}\n`);
  else if (faults.length === 0) out('No faults armed\n');
  else out(table(['ID', 'MATCH', 'ACTION', 'TRIGGER', 'MATCHED', 'FIRED'], faults.map(faultRow)));
}

async function faultClear(a: AdminArgs): Promise<void> {
  await adminCall(a.admin, 'DELETE', '/faults', undefined, 'fault clear');
  if (a.json) out(`${toJson({ cleared: true })}\n`);
  else out('Cleared every fault\n');
}

async function faultRemove(a: AdminArgs & { id: number }): Promise<void> {
  const id = parseCount(a.id, 'the fault id');
  const res = await adminCallAllow404(a.admin, `/faults/${id}`);
  if (!res) throw new ToolError(`no fault ${id} is armed (see sluice fault list)`);
  if (a.json) out(`${toJson({ id, removed: true })}\n`);
  else out(`Removed fault ${id}\n`);
}

async function adminCallAllow404(admin: string, path: string): Promise<boolean> {
  const res = await adminRequest(admin, 'DELETE', path);
  if (res.status === 404) return false;
  if (res.status >= 200 && res.status < 300) return true;
  throw adminFailure(admin, 'DELETE', path, res, 'fault remove');
}

async function faultRelease(a: AdminArgs & { id: number }): Promise<void> {
  const id = parseCount(a.id, 'the fault id');
  const res = (await adminCall(a.admin, 'POST', `/faults/${id}/release`, {}, 'fault release')) as { released?: number };
  if (a.json) out(`${toJson(res)}\n`);
  else out(`Released ${res.released ?? 0} request(s) held by fault ${id}\n`);
}

async function faultWait(a: AdminArgs & { id: number; 'timeout-ms': number }): Promise<void> {
  const id = parseCount(a.id, 'the fault id');
  const timeoutMs = parseCount(a['timeout-ms'], '--timeout-ms');
  const res = await adminRequest(a.admin, 'POST', `/faults/${id}/wait`, { timeoutMs }, timeoutMs + 10_000);
  if (res.status === 408) throw new ToolError(`fault ${id} held no request within ${timeoutMs} ms`);
  if (res.status < 200 || res.status >= 300) throw adminFailure(a.admin, 'POST', `/faults/${id}/wait`, res, 'fault wait');
  const body = res.body as { held?: number };
  if (a.json) out(`${toJson(body)}\n`);
  else out(`Fault ${id} holds ${body.held ?? 0} request(s)\n`);
}

async function clockPause(a: AdminArgs, op: 'pause' | 'resume'): Promise<void> {
  const res = (await adminCall(a.admin, 'POST', `/clock/${op}`, {}, `clock ${op}`)) as { nowMs?: number; paused?: boolean };
  if (a.json) out(`${toJson(res)}\n`);
  else out(`${op === 'pause' ? 'Paused' : 'Resumed'} the clock at ${res.nowMs ?? '?'}\n`);
}

async function clockShow(a: AdminArgs): Promise<void> {
  const clock = (await adminCall(a.admin, 'GET', '/clock', undefined, 'the clock')) as { mode?: string; nowMs?: number };
  if (a.json) out(`${toJson(clock)}\n`);
  else out(`${clock.mode ?? '?'} clock at ${clock.nowMs ?? '?'} (${typeof clock.nowMs === 'number' ? new Date(clock.nowMs).toISOString() : '?'})\n`);
}

async function clockAdvance(a: AdminArgs & { duration: string }): Promise<void> {
  const ms = parseDuration(String(a.duration));
  const res = (await adminCall(a.admin, 'POST', '/clock/advance', { ms }, 'clock advance')) as { nowMs?: number; fired?: number };
  if (a.json) out(`${toJson(res)}\n`);
  else out(`Advanced the clock ${ms} ms to ${res.nowMs ?? '?'}${typeof res.nowMs === 'number' ? ` (${new Date(res.nowMs).toISOString()})` : ''}; ${res.fired ?? 0} timer(s) fired\n`);
}

// -- registration ---------------------------------------------------------------------------------------

/** The tool commands, added to the `sluice` yargs parser by main.ts. */
export function addToolCommands<T>(y: Argv<T>, run: (f: () => Promise<void>) => Promise<void>): Argv<T> {
  return y
    .command('topic', 'topics: create, list, describe, delete, alter-config', (t) =>
      t
        .command(
          'create <names..>',
          'create topics',
          (c) =>
            brokerOptions(c)
              .positional('names', { type: 'string', array: true, demandOption: true })
              .option('partitions', { alias: 'p', type: 'number', default: -1, describe: 'partitions (default: the broker\'s num.partitions)' })
              .option('replication-factor', { alias: 'r', type: 'number', default: -1, describe: 'replicas (default: the broker\'s default.replication.factor)' })
              .option('config', { alias: 'c', type: 'string', array: true, describe: 'topic config key=value (repeatable)' }),
          (a) => run(() => topicCreate(a as never)),
        )
        .command('list', 'list topics', (c) => brokerOptions(c).option('internal', { type: 'boolean', default: false, describe: 'include internal topics' }), (a) => run(() => topicList(a as never)))
        .command(
          'describe <name>',
          'partitions (leader, replicas, ISR, log start and end) and configs of a topic',
          (c) => brokerOptions(c).positional('name', { type: 'string', demandOption: true }).option('all-configs', { type: 'boolean', default: false, describe: 'show defaults too' }),
          (a) => run(() => topicDescribe(a as never)),
        )
        .command('delete <names..>', 'delete topics', (c) => brokerOptions(c).positional('names', { type: 'string', array: true, demandOption: true }), (a) => run(() => topicDelete(a as never)))
        .command(
          'alter-config <name>',
          'set or delete topic configs (IncrementalAlterConfigs)',
          (c) =>
            brokerOptions(c)
              .positional('name', { type: 'string', demandOption: true })
              .option('set', { alias: 's', type: 'string', array: true, describe: 'key=value to set (repeatable)' })
              .option('delete', { alias: 'd', type: 'string', array: true, describe: 'key to reset to its default (repeatable)' }),
          (a) => run(() => topicAlterConfig(a as never)),
        )
        .demandCommand(1, 'say which: create, list, describe, delete or alter-config'),
    )
    .command(
      'produce',
      'write the lines of stdin to a topic, one record each',
      (c) =>
        brokerOptions(c)
          .option('topic', { alias: 't', type: 'string', demandOption: true })
          .option('key-separator', { alias: 'K', type: 'string', describe: 'split each line into key and value at the first occurrence of this' })
          .option('header', { alias: 'H', type: 'string', array: true, describe: 'header key=value on every record (repeatable)' })
          .option('partition', { alias: 'p', type: 'number', describe: 'write every record to this partition (default: by key, else spread)' })
          .option('acks', { type: 'string', default: 'all', describe: 'all or 1' }),
      (a) => run(() => produceCommand(a as never)),
    )
    .command(
      'consume',
      'print the records of a topic, one a line',
      (c) =>
        brokerOptions(c)
          .option('topic', { alias: 't', type: 'string', demandOption: true })
          .option('from-beginning', { type: 'boolean', default: false, describe: 'start at the log start (default: the log end)' })
          .option('offset', { alias: 'o', type: 'number', describe: 'start at this offset in every partition read' })
          .option('timestamp', { type: 'number', describe: 'start at the first record with a timestamp at or after this (ms since the epoch)' })
          .option('partition', { alias: 'p', type: 'number', array: true, describe: 'read only these partitions (repeatable)' })
          .option('group', { alias: 'g', type: 'string', describe: 'start at the group\'s committed offsets and commit as records are printed (a simple consumer, not a group member)' })
          .option('count', { alias: 'c', type: 'number', describe: 'exit after this many records' })
          .option('end', { alias: 'e', type: 'boolean', default: false, describe: 'exit at the end of every partition (as kcat -e)' })
          .option('format', { alias: 'f', type: 'string', describe: 'kcat-style: %s/%v value, %k key, %t topic, %p partition, %o offset, %T timestamp, %h headers, %K/%S lengths, \\n' })
          .option('isolation', { type: 'string', default: 'read_uncommitted', describe: 'read_uncommitted (Kafka console consumer\'s default) or read_committed' }),
      (a) => run(() => consumeCommand(a as never)),
    )
    .command('group', 'groups (classic, KIP-848 consumer and KIP-932 share groups): list, describe, seek, delete', (g) =>
      g
        .command('list', 'list groups (every broker asked)', (c) => brokerOptions(c), (a) => run(() => groupList(a as never)))
        .command('describe <group>', 'members, assignments, committed offsets, log end and lag', (c) => brokerOptions(c).positional('group', { type: 'string', demandOption: true }), (a) => run(() => groupDescribe(a as never)))
        .command(
          'seek <group>',
          'commit new offsets for an empty group (as kafka-consumer-groups --reset-offsets --execute)',
          (c) =>
            brokerOptions(c)
              .positional('group', { type: 'string', demandOption: true })
              .option('topic', { alias: 't', type: 'string', demandOption: true })
              .option('partition', { alias: 'p', type: 'number', array: true, describe: 'only these partitions (default: all)' })
              .option('to-earliest', { type: 'boolean', default: false })
              .option('to-latest', { type: 'boolean', default: false })
              .option('to-offset', { type: 'number', describe: 'clamped to the log start and end' })
              .option('to-timestamp', { type: 'number', describe: 'the first offset at or after this time (ms)' }),
          (a) => run(() => groupSeek(a as never)),
        )
        .command('delete <groups..>', 'delete empty groups', (c) => brokerOptions(c).positional('groups', { type: 'string', array: true, demandOption: true }), (a) => run(() => groupDelete(a as never)))
        .demandCommand(1, 'say which: list, describe, seek or delete'),
    )
    .command('features', 'finalized feature levels (as kafka-features.sh): describe, upgrade, downgrade, disable', (f) => {
      const update = (c: Argv, what: 'upgrade' | 'downgrade' | 'disable') => {
        const withFeature = brokerOptions(c)
          .option('feature', { type: 'string', array: true, demandOption: true, describe: what === 'disable' ? 'a feature to set to 0 (repeatable)' : 'name=level (repeatable)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'validate only; change nothing' });
        return what === 'upgrade' ? withFeature : withFeature.option('unsafe', { type: 'boolean', default: false, describe: 'an unsafe (lossy) downgrade' });
      };
      return f
        .command('describe', 'each feature: the levels the broker supports and the finalized level', (c) => brokerOptions(c), (a) => run(() => featuresDescribe(a as never)))
        .command('upgrade', 'raise finalized levels', (c) => update(c, 'upgrade'), (a) => run(() => featuresUpdate(a as never, 'upgrade')))
        .command('downgrade', 'lower finalized levels (safe unless --unsafe)', (c) => update(c, 'downgrade'), (a) => run(() => featuresUpdate(a as never, 'downgrade')))
        .command('disable', 'set features to 0 (not finalized)', (c) => update(c, 'disable'), (a) => run(() => featuresUpdate(a as never, 'disable')))
        .demandCommand(1, 'say which: describe, upgrade, downgrade or disable');
    })
    .command('fault', 'faults on a broker, over its admin endpoint: add, list, clear, remove', (f) =>
      f
        .command(
          'add',
          'arm a fault',
          (c) =>
            adminOptions(c)
              .option('api', { type: 'string', describe: 'requests of this API (name or key), required' })
              .option('min-version', { type: 'number' })
              .option('max-version', { type: 'number' })
              .option('client-id', { type: 'string' })
              .option('topic', { type: 'string' })
              .option('partition', { type: 'number' })
              .option('error', { type: 'string', describe: 'answer with this error (name or code)' })
              .option('delay-ms', { type: 'number', describe: 'answer this much later' })
              .option('disconnect', { type: 'boolean', describe: 'close the connection' })
              .option('no-answer', { type: 'boolean', describe: 'never answer' })
              .option('hold', { type: 'boolean', describe: 'hold the request until released (sluice fault release ID)' })
              .option('response', { type: 'string', describe: 'answer with these response fields (JSON, laid over the API\'s answer)' })
              .option('times', { type: 'number', describe: 'fire on the next N matches (default 1)' })
              .option('nth', { type: 'number', describe: 'fire only on the Nth match' })
              .option('always', { type: 'boolean', describe: 'fire on every match' })
              .option('probability', { type: 'number', describe: 'fire with this probability (0-1)' })
              .option('seed', { type: 'number', describe: 'seed of the probability\'s generator' })
              .option('spec', { type: 'string', describe: 'the fault as JSON (POST /faults body); flags given win' }),
          (a) => run(() => faultAdd(a as never)),
        )
        .command('list', 'armed faults with how often each matched and fired', (c) => adminOptions(c), (a) => run(() => faultList(a as never)))
        .command('clear', 'disarm every fault', (c) => adminOptions(c), (a) => run(() => faultClear(a as never)))
        .command('remove <id>', 'disarm one fault (releasing what it holds)', (c) => adminOptions(c).positional('id', { type: 'number', demandOption: true }), (a) => run(() => faultRemove(a as never)))
        .command('release <id>', 'let the requests a --hold fault holds go on', (c) => adminOptions(c).positional('id', { type: 'number', demandOption: true }), (a) => run(() => faultRelease(a as never)))
        .command(
          'wait <id>',
          'return once a --hold fault holds a request',
          (c) => adminOptions(c).positional('id', { type: 'number', demandOption: true }).option('timeout-ms', { type: 'number', default: 30_000 }),
          (a) => run(() => faultWait(a as never)),
        )
        .demandCommand(1, 'say which: add, list, clear, remove, release or wait'),
    )
    .command('clock', 'the broker\'s virtual clock, over its admin endpoint: show, advance', (k) =>
      k
        .command('show', 'the clock\'s mode and time', (c) => adminOptions(c), (a) => run(() => clockShow(a as never)))
        .command('pause', 'stop a virtual clock flowing with wall time', (c) => adminOptions(c), (a) => run(() => clockPause(a as never, 'pause')))
        .command('resume', 'let a paused virtual clock flow again', (c) => adminOptions(c), (a) => run(() => clockPause(a as never, 'resume')))
        .command(
          'advance <duration>',
          'move a virtual clock forward (e.g. 45s, 8d, 691200000); returns when everything due has run',
          (c) => adminOptions(c).positional('duration', { type: 'string', demandOption: true }),
          (a) => run(() => clockAdvance(a as never)),
        )
        .demandCommand(1, 'say which: show, advance, pause or resume'),
    );
}

/** `sluice cluster info`: parsed on its own (`sluice cluster` itself starts a local cluster). */
export async function clusterInfoCommand(argv: string[], run: (f: () => Promise<void>) => Promise<void>): Promise<void> {
  const { default: yargs } = await import('yargs');
  await brokerOptions(yargs(argv).scriptName('sluice cluster info').usage('$0: cluster id, controller, brokers and topic count of a running cluster'))
    .strict()
    .fail((msg, err) => {
      throw new ToolError(msg ?? err?.message ?? 'bad arguments; see sluice cluster info --help');
    })
    .help()
    .parseAsync()
    .then((a) => run(() => clusterInfo(a as never)));
}
