/**
 * Differential conformance: the same scenario runs against Apache Kafka (the reference, see
 * ../reference/kafka.ts) and against Sluice, each recording named observations; the two records
 * are compared after normalising what legitimately differs (cluster, topic and producer ids,
 * hosts, ports, node ids, times, error message wording). A difference fails unless allowlist.ts
 * names it with its reason, and an allowlist entry that no longer matches a difference fails too.
 *
 * A scenario is written once, against a `Target`; it must name topics and groups the same way on
 * both brokers (each broker is fresh, so plain names do) and record only what a client can see.
 */
import { ROOT, spawnBroker, stopBroker, tmpDataDir, type BrokerProcess } from '../harness.js';
import { RawClient } from '../raw-client.js';
import { DIFFERENTIAL_SETTINGS, startKafka, type KafkaProcess } from '../reference/kafka.js';
import type { ApiCodec } from '../../src/protocol/api-codec.js';
import { errorName } from '../../src/protocol/errors.js';
import { join } from 'node:path';
import type { Test } from 'tap';

export type BrokerKind = 'kafka' | 'sluice';

export interface Target {
  readonly kind: BrokerKind;
  readonly port: number;
  readonly bootstrap: string;
  /** A raw connection, closed when the scenario ends. */
  connect(): Promise<RawClient>;
  /** One request on a shared connection of this scenario. */
  request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res>;
}

export interface Scenario {
  /** Unique across the suite; observations are named `<scenario>/<name>`. */
  readonly name: string;
  run(target: Target, see: Recorder): Promise<void>;
}

/** Observations of one scenario on one broker, normalised as they are recorded. */
export class Recorder {
  readonly values = new Map<string, unknown>();
  constructor(readonly kind: BrokerKind) {}

  /** Records `value` (normalised) under `name`; a name recorded twice is a scenario bug. */
  see(name: string, value: unknown): void {
    if (this.values.has(name)) throw new Error(`observation ${name} recorded twice`);
    this.values.set(name, normalise(value));
  }

  /** Records an error code by name (`NONE`, `UNKNOWN_TOPIC_OR_PARTITION`, ...): diffs read better. */
  code(name: string, errorCode: number): void {
    this.see(name, errorName(errorCode));
  }
}

const TIME_KEY = /(timestamp|time|timeMs|TimeMs|Ms)$/i;
const NODE_KEY = /^(nodeId|leaderId|brokerId|controllerId|coordinatorId|leader|replicas|isrNodes|replicaNodes|offlineReplicas|eligibleLeaderReplicas|lastKnownElr)$/;

/**
 * What legitimately differs between two fresh brokers, replaced by placeholders: 16-byte ids
 * (`<uuid>`, the zero uuid kept as `<zero-uuid>`), cluster ids, hosts and ports, node ids (>= 0),
 * times (>= 0; -1 kept), producer ids (>= 0) and error message wording (`<message>` or null).
 * bigints become strings so values compare and print as JSON.
 */
export function normalise(v: unknown, key = ''): unknown {
  if (typeof v === 'bigint') {
    if ((key === 'producerId' || TIME_KEY.test(key)) && v >= 0n) return `<${key === 'producerId' ? 'pid' : 'time'}>`;
    return v.toString();
  }
  if (Buffer.isBuffer(v)) {
    if (v.length === 16) return v.equals(Buffer.alloc(16)) ? '<zero-uuid>' : '<uuid>';
    return `<${v.length} bytes>`;
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, key));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = normalise(x, k);
    return out;
  }
  if (typeof v === 'number') {
    if (key === 'port') return '<port>';
    if (key === 'throttleTimeMs') return '<throttle>';
    if (NODE_KEY.test(key) && v >= 0) return '<node>';
    if (TIME_KEY.test(key) && v >= 0 && key !== 'sessionTimeoutMs' && key !== 'rebalanceTimeoutMs' && key !== 'timeoutMs') return '<time>';
    if (key === 'producerId' && v >= 0) return '<pid>';
    return v;
  }
  if (typeof v === 'string') {
    if (key === 'host') return '<host>';
    if (key === 'clusterId') return '<cluster>';
    if (key === 'errorMessage' || key === 'message') return '<message>';
    if (key === 'memberId' && v !== '') return '<member>';
    return v;
  }
  return v;
}

export interface Difference {
  observation: string;
  kafka: unknown;
  sluice: unknown;
}

/** Every observation of both records, equal or not; an observation only one side made counts as a difference. */
export function compare(scenario: string, kafka: Recorder, sluice: Recorder): { compared: string[]; differences: Difference[] } {
  const names = [...new Set([...kafka.values.keys(), ...sluice.values.keys()])];
  const differences: Difference[] = [];
  for (const n of names) {
    const a = kafka.values.has(n) ? kafka.values.get(n) : '<not observed>';
    const b = sluice.values.has(n) ? sluice.values.get(n) : '<not observed>';
    if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({ observation: `${scenario}/${n}`, kafka: a, sluice: b });
  }
  return { compared: names.map((n) => `${scenario}/${n}`), differences };
}

export interface Pair {
  kafka: KafkaProcess;
  sluice: BrokerProcess;
  targets: Record<BrokerKind, Target>;
  stop(): Promise<void>;
}

/**
 * Both brokers, fresh, with DIFFERENTIAL_SETTINGS given to each (Kafka's server.properties, Sluice's
 * --override), and `extra` settings after them (a suite of its own, e.g. with an authorizer);
 * `kafkaOnly` settings and classpath go to Kafka alone (a plugin Sluice has built in).
 */
export async function startPair(extra: Record<string, string> = {}, kafkaOnly: { overrides?: Record<string, string>; extraClasspath?: readonly string[]; formatArgs?: readonly string[] } = {}): Promise<Pair> {
  const data = tmpDataDir('sluice-differential-');
  const settings = { ...DIFFERENTIAL_SETTINGS, ...extra };
  const overrides = Object.entries(settings).flatMap(([k, v]) => ['--override', `${k}=${v}`]);
  const [kafka, sluice] = await Promise.all([
    startKafka({ overrides: { ...settings, ...kafkaOnly.overrides }, extraClasspath: kafkaOnly.extraClasspath, formatArgs: kafkaOnly.formatArgs }),
    spawnBroker({ dataDir: data.dir, args: overrides }),
  ]);
  return {
    kafka,
    sluice,
    targets: { kafka: target('kafka', kafka.port), sluice: target('sluice', sluice.port) },
    stop: async () => {
      await Promise.all([kafka.stop(), stopBroker(sluice)]);
      data.remove();
    },
  };
}

function target(kind: BrokerKind, port: number): Target {
  return {
    kind,
    port,
    bootstrap: `127.0.0.1:${port}`,
    connect: () => RawClient.connect(port),
    request: () => {
      throw new Error('request() is only available inside runScenario');
    },
  };
}

/** Runs one scenario against both brokers at once, each with its own connections, closed after. */
export async function runScenario(s: Scenario, pair: Pick<Pair, 'targets'>): Promise<{ kafka: Recorder; sluice: Recorder }> {
  const runOn = async (base: Target): Promise<Recorder> => {
    const rec = new Recorder(base.kind);
    const opened: RawClient[] = [];
    let shared: RawClient | undefined;
    const t: Target = {
      ...base,
      connect: async () => {
        const c = await RawClient.connect(base.port);
        opened.push(c);
        return c;
      },
      request: async (codec, version, body) => {
        shared ??= await t.connect();
        return shared.request(codec, version, body);
      },
    };
    try {
      await s.run(t, rec);
    } catch (e) {
      // A scenario that stops on one broker (a closed connection, a timeout) is an observation
      // like any other: the other broker's record shows what it did instead.
      rec.see('stopped', (e as Error).message.replace(/\d+ ms/g, 'N ms'));
    } finally {
      for (const c of opened) c.close();
    }
    return rec;
  };
  const [kafka, sluice] = await Promise.all([runOn(pair.targets.kafka), runOn(pair.targets.sluice)]);
  return { kafka, sluice };
}

export const DIFFERENTIAL_DIR = join(ROOT, 'compat-tests', 'differential');

/**
 * The suites of their own (an authorizer, a telemetry plugin): each scenario a test, every
 * observation compared, no difference allowed, at least `observationsMin` made, run to its end on
 * Kafka.
 */
export async function strictScenarios(t: Test, scenarios: readonly Scenario[], pair: Pick<Pair, 'targets'>, observationsMin = 5): Promise<void> {
  const show = (v: unknown): string => JSON.stringify(v);
  for (const s of scenarios) {
    await t.test(s.name, async (t) => {
      const { kafka, sluice } = await runScenario(s, pair);
      const r = compare(s.name, kafka, sluice);
      t.ok(r.compared.length >= observationsMin, `${s.name} made ${r.compared.length} observations`);
      t.notOk(kafka.values.has('stopped'), `ran to its end on Kafka (${show(kafka.values.get('stopped'))})`);
      for (const d of r.differences) t.fail(`${d.observation}: Kafka ${show(d.kafka)}, Sluice ${show(d.sluice)}`);
      t.pass(`${r.compared.length - r.differences.length} of ${r.compared.length} observations equal`);
    });
  }
}
