/**
 * GET /metrics: Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
 *
 * Names: Kafka's JMX metrics as the Prometheus JMX exporter's Kafka example rules
 * (jmx_exporter's kafka-2_0_0.yml, with lowercaseOutputName) turn them into Prometheus names, so
 * dashboards and alerts written for a Kafka broker find them here:
 *
 *   kafka.<domain><type=T, name=NPerSec, k=v><>Count   ->  kafka_<domain>_<t>_<n>_total{k="v"}   counter
 *   kafka.<domain><type=T, name=N, k=v><>Value         ->  kafka_<domain>_<t>_<n>{k="v"}         gauge
 *   kafka.<domain><type=T, name=N, k=v><>99thPercentile ->  kafka_<domain>_<t>_<n>{k="v",quantile="0.99"}
 *                                                       (+ _count and _sum: a summary)
 *
 * Served here:
 *   kafka_server_brokertopicmetrics_messagesin_total{topic}   records appended by Produce (batch header counts);
 *                                                             without a topic label: all topics
 *   kafka_server_brokertopicmetrics_bytesin_total{topic}      produced batch bytes appended
 *   kafka_server_brokertopicmetrics_bytesout_total{topic}     record bytes fetched by consumers (not followers)
 *   kafka_network_requestmetrics_requests_total{request,version}   requests answered, by API name and version
 *   kafka_network_requestmetrics_errors_total{request,error}  answers by error name (NONE included, as Kafka's)
 *   kafka_network_requestmetrics_totaltimems{request,quantile} summary of receipt-to-answer time (ms):
 *                                                             quantiles 0.50 0.75 0.95 0.98 0.99 0.999, _sum, _count
 *   kafka_server_replicamanager_underreplicatedpartitions     partitions led here with ISR smaller than replicas
 *   kafka_server_replicamanager_partitioncount                partitions held here
 *   kafka_server_replicamanager_leadercount                   partitions led here
 *   kafka_server_fetchsessioncache_numincrementalfetchsessions          fetch sessions cached (KIP-227)
 *   kafka_server_fetchsessioncache_numincrementalfetchpartitionscached  partitions in them
 *   kafka_server_fetchsessioncache_incrementalfetchsessionevictions_total  sessions evicted to make room
 *   sluice_fetch_session_requests_total{kind}                 Fetch requests by what their session fields made of them:
 *                                                             sessionless, full, incremental, error (Sluice's own)
 *   sluice_fetch_session_partitions_omitted_total             partitions read for incremental fetches and left out
 *                                                             of their answers, unchanged (Sluice's own)
 *   kafka_controller_kafkacontroller_offlinepartitionscount   partitions without a leader in this node's metadata
 *   kafka_log_log_logstartoffset / logendoffset / size / numlogsegments {topic,partition}   per partition held here
 *   kafka_consumergroup_lag{consumergroup,topic,partition}    high watermark less committed offset (kafka_exporter's name),
 *                                                             groups coordinated here, partitions held here
 *   kafka_consumergroup_current_offset{consumergroup,topic,partition}   the committed offset
 *   kafka_server_socket_server_metrics_connection_count{listener}   open client connections
 *   kafka_server_socket_server_metrics_connections_software{clientsoftwarename,clientsoftwareversion,listener}
 *                                                             open connections by the software they named (KIP-511)
 *   (socket-server-metrics attributes come out of the exporter with '-' made '_'; Sluice has no
 *   network processors, so there is no networkprocessor label)
 *   process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds,
 *   nodejs_heap_size_used_bytes, nodejs_heap_size_total_bytes   the usual process basics
 *
 * Counters are counts since the broker started (Kafka's meters' Count); rates are the scraper's
 * business (rate()). Internal topics (__consumer_offsets, __transaction_state) are included.
 */
import { errorName } from '../protocol/errors.js';
import type { Observer } from '../control/observer.js';
import type { TopicTraffic } from '../control/request-metrics.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ReplicaManager } from '../replica/replica-manager.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What /metrics reads of the broker. */
export interface MetricsSource {
  readonly observer: Observer;
  readonly replicas: ReplicaManager;
  readonly image: MetadataImage;
  readonly groups: GroupCoordinator;
}

const QUANTILES: ReadonlyArray<readonly [number, string]> = [
  [0.5, '0.50'],
  [0.75, '0.75'],
  [0.95, '0.95'],
  [0.98, '0.98'],
  [0.99, '0.99'],
  [0.999, '0.999'],
];

const PROCESS_START_SECONDS = performance.timeOrigin / 1000;

export interface GroupLag {
  group: string;
  topic: string;
  partition: number;
  committedOffset: number;
  lag: number;
}

/**
 * Every committed offset of every group this broker coordinates, with its lag: the partition's
 * high watermark less the offset (0 when the offset is past it), for partitions this broker holds
 * a replica of (a follower's high watermark is the one it last heard from the leader). In a
 * cluster, a group whose coordinator holds no replica of a partition shows no lag for it.
 */
export function groupLags(groups: GroupCoordinator, replicas: ReplicaManager): GroupLag[] {
  const out: GroupLag[] = [];
  for (const g of groups.list([], [])) {
    for (const t of groups.fetchOffsets(g.groupId, null)) {
      for (const p of t.partitions) {
        if (p.offset < 0n) continue;
        const part = replicas.getPartition(t.name, p.partition);
        if (!part) continue;
        const lag = part.highWatermark - p.offset;
        out.push({ group: g.groupId, topic: t.name, partition: p.partition, committedOffset: Number(p.offset), lag: lag > 0n ? Number(lag) : 0 });
      }
    }
  }
  return out;
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'summary', help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Record<string, string | number> | null, value: number): void {
    this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function labelText(labels: Record<string, string | number> | null): string {
  if (labels === null) return '';
  const parts: string[] = [];
  for (const k in labels) parts.push(`${k}="${escapeLabel(String(labels[k]))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (the format's only escapes). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderMetrics(src: MetricsSource): string {
  const x = new Exposition();
  const { metrics } = src.observer;
  // Topics that still exist, by name (a deleted topic's counters are not shown).
  const traffic = [...metrics.topics].filter(([name]) => src.image.topicsByName.has(name)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const topicFamily = (name: string, help: string, pick: (t: TopicTraffic) => number): void => {
    x.family(name, 'counter', help);
    x.sample(name, null, pick(metrics.all));
    for (const [topic, t] of traffic) x.sample(name, { topic }, pick(t));
  };
  topicFamily('kafka_server_brokertopicmetrics_messagesin_total', 'Records appended by Produce (Kafka MessagesInPerSec Count); no topic label: all topics.', (t) => t.messagesIn);
  topicFamily('kafka_server_brokertopicmetrics_bytesin_total', 'Produced record batch bytes appended (Kafka BytesInPerSec Count).', (t) => t.bytesIn);
  topicFamily('kafka_server_brokertopicmetrics_bytesout_total', 'Record bytes answered to consumer Fetch requests (Kafka BytesOutPerSec Count).', (t) => t.bytesOut);

  const apis = [...metrics.apis].sort(([a], [b]) => a - b);
  x.family('kafka_network_requestmetrics_requests_total', 'counter', 'Requests answered, by API and version (Kafka RequestMetrics RequestsPerSec Count).');
  for (const [, m] of apis) m.byVersion.forEach((n, version) => n !== undefined && x.sample('kafka_network_requestmetrics_requests_total', { request: m.name, version }, n));
  x.family('kafka_network_requestmetrics_errors_total', 'counter', 'Answers by error, NONE included (Kafka RequestMetrics ErrorsPerSec Count).');
  for (const [, m] of apis) for (const [code, n] of [...m.errors].sort(([a], [b]) => a - b)) x.sample('kafka_network_requestmetrics_errors_total', { request: m.name, error: errorName(code) }, n);
  x.family('kafka_network_requestmetrics_totaltimems', 'summary', 'Time from receipt to the answer handed to the socket, ms (Kafka RequestMetrics TotalTimeMs).');
  for (const [, m] of apis) {
    for (const [q, label] of QUANTILES) x.sample('kafka_network_requestmetrics_totaltimems', { request: m.name, quantile: label }, round3(m.time.quantile(q)));
    x.sample('kafka_network_requestmetrics_totaltimems_sum', { request: m.name }, round3(m.time.sumMs));
    x.sample('kafka_network_requestmetrics_totaltimems_count', { request: m.name }, m.time.count);
  }

  const held = [...src.replicas.allPartitions()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.index - b.index));
  const led = held.filter((p) => p.isLeader);
  gauge(x, 'kafka_server_replicamanager_underreplicatedpartitions', 'Partitions led here whose ISR is smaller than their replicas.', led.filter((p) => p.isr.length < p.replicas.length).length);
  gauge(x, 'kafka_server_replicamanager_partitioncount', 'Partitions this broker holds a replica of.', held.length);
  gauge(x, 'kafka_server_replicamanager_leadercount', 'Partitions this broker leads.', led.length);
  const sessions = src.replicas.fetchSessions;
  gauge(x, 'kafka_server_fetchsessioncache_numincrementalfetchsessions', 'Incremental fetch sessions cached (KIP-227).', sessions.size);
  gauge(x, 'kafka_server_fetchsessioncache_numincrementalfetchpartitionscached', 'Partitions in the cached fetch sessions.', sessions.totalPartitions);
  x.family('kafka_server_fetchsessioncache_incrementalfetchsessionevictions_total', 'counter', 'Fetch sessions evicted to make room for new ones (Kafka IncrementalFetchSessionEvictionsPerSec Count).');
  x.sample('kafka_server_fetchsessioncache_incrementalfetchsessionevictions_total', null, sessions.evictions);
  x.family('sluice_fetch_session_requests_total', 'counter', 'Fetch requests by what their session fields made of them: sessionless, full (may open a session), incremental, error (a session error).');
  for (const [kind, n] of Object.entries(sessions.requests)) x.sample('sluice_fetch_session_requests_total', { kind }, n);
  x.family('sluice_fetch_session_partitions_omitted_total', 'counter', 'Partitions read for incremental fetches and left out of their answers, nothing having changed.');
  x.sample('sluice_fetch_session_partitions_omitted_total', null, sessions.partitionsOmitted);
  let offline = 0;
  for (const t of src.image.topicsByName.values()) for (const p of t.partitions) if (p.leader < 0) offline++;
  gauge(x, 'kafka_controller_kafkacontroller_offlinepartitionscount', 'Partitions without a leader, in this node\'s view of the cluster metadata.', offline);

  const perPartition = (name: string, help: string, pick: (p: (typeof held)[number]) => number): void => {
    x.family(name, 'gauge', help);
    for (const p of held) x.sample(name, { topic: p.topic, partition: p.index }, pick(p));
  };
  perPartition('kafka_log_log_logstartoffset', 'First offset of the partition\'s log.', (p) => Number(p.logStartOffset));
  perPartition('kafka_log_log_logendoffset', 'Next offset to be written to the partition\'s log.', (p) => Number(p.logEndOffset));
  perPartition('kafka_log_log_size', 'Bytes of the partition\'s segments (-1 offline).', (p) => {
    try {
      return p.sizeBytes();
    } catch {
      return -1;
    }
  });
  perPartition('kafka_log_log_numlogsegments', 'Segments of the partition\'s log.', (p) => p.segmentCount);

  const lags = groupLags(src.groups, src.replicas).sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  x.family('kafka_consumergroup_lag', 'gauge', 'High watermark less the group\'s committed offset, per partition held here, for groups coordinated here.');
  for (const l of lags) x.sample('kafka_consumergroup_lag', { consumergroup: l.group, topic: l.topic, partition: l.partition }, l.lag);
  x.family('kafka_consumergroup_current_offset', 'gauge', 'The group\'s committed offset, per partition held here, for groups coordinated here.');
  for (const l of lags) x.sample('kafka_consumergroup_current_offset', { consumergroup: l.group, topic: l.topic, partition: l.partition }, l.committedOffset);

  const byListener = new Map<string, number>();
  const bySoftware = new Map<string, { clientsoftwarename: string; clientsoftwareversion: string; listener: string; n: number }>();
  for (const c of src.observer.connections()) {
    byListener.set(c.listener, (byListener.get(c.listener) ?? 0) + 1);
    // Kafka counts a connection under its software once it has named it (ApiVersions v3+).
    if (c.clientSoftware === null) continue;
    const key = JSON.stringify([c.clientSoftware, c.clientSoftwareVersion, c.listener]);
    const known = bySoftware.get(key);
    if (known) known.n++;
    else bySoftware.set(key, { clientsoftwarename: c.clientSoftware, clientsoftwareversion: c.clientSoftwareVersion ?? '', listener: c.listener, n: 1 });
  }
  x.family('kafka_server_socket_server_metrics_connection_count', 'gauge', 'Open client connections, by listener.');
  for (const [listener, n] of [...byListener].sort()) x.sample('kafka_server_socket_server_metrics_connection_count', { listener }, n);
  x.family('kafka_server_socket_server_metrics_connections_software', 'gauge', 'Open client connections by the client software they named in ApiVersions (KIP-511).');
  for (const [, { n, ...labels }] of [...bySoftware].sort(([a], [b]) => (a < b ? -1 : 1))) x.sample('kafka_server_socket_server_metrics_connections_software', labels, n);

  const cpu = process.cpuUsage();
  x.family('process_cpu_seconds_total', 'counter', 'User and system CPU time of the process, seconds.');
  x.sample('process_cpu_seconds_total', null, (cpu.user + cpu.system) / 1e6);
  const mem = process.memoryUsage();
  gauge(x, 'process_resident_memory_bytes', 'Resident set size of the process, bytes.', mem.rss);
  gauge(x, 'process_start_time_seconds', 'When the process started, seconds since the epoch.', Math.round(PROCESS_START_SECONDS * 1000) / 1000);
  gauge(x, 'nodejs_heap_size_used_bytes', 'V8 heap in use, bytes.', mem.heapUsed);
  gauge(x, 'nodejs_heap_size_total_bytes', 'V8 heap reserved, bytes.', mem.heapTotal);
  return x.text();
}

function gauge(x: Exposition, name: string, help: string, value: number): void {
  x.family(name, 'gauge', help);
  x.sample(name, null, value);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
