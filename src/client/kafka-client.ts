/**
 * A small Kafka client for the `sluice` tools (topic, produce, consume, group, cluster info):
 * bootstrap from `--brokers`, Metadata to find leaders and the controller, FindCoordinator for
 * groups, one NodeClient (src/net/node-client.ts) per broker, every request at the highest version
 * both sides speak. Works against any Kafka-protocol broker, Sluice or Apache Kafka.
 *
 * Not used by the broker: nothing here is on the produce or fetch path, and the `sluice start`
 * fast path never loads it (src/cli/main.ts imports the tools lazily).
 *
 * Errors: everything a user can cause or meet (no broker at the address, an unknown topic, a
 * protocol error code) is a ToolError with one line of text saying what failed and, where there
 * is one, what to do; the CLI prints it as `sluice: <message>` and exits 1.
 */
import { NodeClient, NodeUnavailableError, RequestTimeoutError, UnsupportedVersionError } from '../net/node-client.js';
import type { ApiCodec } from '../protocol/api-codec.js';
import { errorByCode, ErrorCode, errorName } from '../protocol/errors.js';
import { FindCoordinator, Metadata } from '../protocol/generated/index.js';
import type { MetadataResponse } from '../protocol/generated/03-metadata.js';

/** A failure to show the user as one line. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/** What the user should try when a protocol error comes back, by code. */
const ERROR_ADVICE: Record<number, string> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'check the name with "sluice topic list"',
  [ErrorCode.TOPIC_ALREADY_EXISTS]: 'pick another name, or delete it first with "sluice topic delete"',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'check the name with "sluice group list"',
  [ErrorCode.NON_EMPTY_GROUP]: 'stop its consumers first',
  [ErrorCode.INVALID_REPLICATION_FACTOR]: 'use --replication-factor no larger than the number of brokers',
  [ErrorCode.POLICY_VIOLATION]: 'the broker refused it by policy',
};

/** One line for a protocol error code: `what: NAME (code): message; advice`. */
export function kafkaErrorLine(what: string, code: number, message?: string | null): string {
  const advice = ERROR_ADVICE[code];
  const text = message?.trim().replace(/\.$/, '');
  return `${what}: ${errorName(code)} (${code})${text ? `: ${text}` : ''}${advice ? `; ${advice}` : ''}`;
}

/** Throws a ToolError for a non-zero error code. */
export function check(what: string, code: number, message?: string | null): void {
  if (code !== ErrorCode.NONE) throw new ToolError(kafkaErrorLine(what, code, message));
}

/** A retriable protocol error inside `retrying` (a new topic's leader not elected yet, a leader moving). */
export class RetriableError extends Error {
  constructor(readonly code: number) {
    super(`retriable error ${errorName(code)}`);
  }
}

/** Throws RetriableError for a retriable code, ToolError for the others. */
export function checkRetriable(what: string, code: number, message?: string | null): void {
  if (code === ErrorCode.NONE) return;
  if (errorByCode(code)?.retriable) throw new RetriableError(code);
  throw new ToolError(kafkaErrorLine(what, code, message));
}

/** Runs `attempt` again (with a short backoff, `tries` times) while it throws RetriableError. */
export async function retrying<T>(what: string, attempt: () => Promise<T>, tries = 40): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof RetriableError)) throw err;
      if (i >= tries) throw new ToolError(kafkaErrorLine(what, err.code));
      await sleep(Math.min(50 * (i + 1), 500));
    }
  }
}

export interface Address {
  host: string;
  port: number;
}

/** `host:port[,host:port]` -> addresses; throws a ToolError naming the bad part. */
export function parseBrokers(list: string): Address[] {
  const out: Address[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(part);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) throw new ToolError(`--brokers: "${part}" is not host:port (e.g. 127.0.0.1:9092)`);
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (out.length === 0) throw new ToolError('--brokers: give at least one host:port (e.g. 127.0.0.1:9092)');
  return out;
}

export interface KafkaClientOptions {
  brokers: string;
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  /** 16 bytes; all zero from a broker that does not send topic ids. */
  topicId: Buffer;
  internal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

export interface ClusterView {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

const ZERO_UUID = Buffer.alloc(16);

export class KafkaClient {
  private readonly bootstrap: Address[];
  private readonly bootstrapClients = new Map<string, NodeClient>();
  private readonly nodes = new Map<number, NodeClient>();
  private readonly addresses = new Map<number, Address>();
  private readonly topicIds = new Map<string, Buffer>();
  private readonly topicNames = new Map<string, string>();

  constructor(private readonly opts: KafkaClientOptions) {
    this.bootstrap = parseBrokers(opts.brokers);
  }

  private newNodeClient(a: Address): NodeClient {
    return new NodeClient({
      host: a.host,
      port: a.port,
      clientId: this.opts.clientId ?? 'sluice-cli',
      requestTimeoutMs: this.opts.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 5_000,
      reconnectBackoffMs: 100,
      inFlightMax: 5,
      responseBytesMax: 256 * 1024 * 1024,
    });
  }

  /**
   * Sends to the first bootstrap broker that answers (in the order given). `body` may be a function
   * of the version (fields that only some versions have must keep their defaults in the others).
   */
  async any<Req, Res>(codec: ApiCodec<Req, Res>, body: Req | ((version: number) => Req)): Promise<Res> {
    const failures: string[] = [];
    for (const a of this.bootstrap) {
      const key = `${a.host}:${a.port}`;
      let c = this.bootstrapClients.get(key);
      if (!c) this.bootstrapClients.set(key, (c = this.newNodeClient(a)));
      try {
        return await c.request(codec, body);
      } catch (err) {
        if (!(err instanceof NodeUnavailableError)) throw this.translate(err, key);
        failures.push(reason(err));
      }
    }
    const list = this.bootstrap.map((a) => `${a.host}:${a.port}`).join(',');
    throw new ToolError(`cannot reach any broker of ${list} (${failures.join('; ')}); is the broker running? point at it with --brokers host:port`);
  }

  /** Sends to the broker with `nodeId` (its address from the last Metadata). */
  async to<Req, Res>(nodeId: number, codec: ApiCodec<Req, Res>, body: Req | ((version: number) => Req)): Promise<Res> {
    const c = await this.node(nodeId);
    try {
      return await c.request(codec, body);
    } catch (err) {
      throw this.translate(err, c.address);
    }
  }

  private translate(err: unknown, address: string): Error {
    if (err instanceof ToolError) return err;
    if (err instanceof NodeUnavailableError) return new ToolError(`broker ${address} unreachable: ${reason(err)}`);
    if (err instanceof RequestTimeoutError) return new ToolError(`${err.message}; the broker may be overloaded or stuck`);
    if (err instanceof UnsupportedVersionError) return new ToolError(`${err.message}; this broker is too old for the command`);
    return err instanceof Error ? err : new Error(String(err));
  }

  private async node(nodeId: number): Promise<NodeClient> {
    let c = this.nodes.get(nodeId);
    if (c) return c;
    if (!this.addresses.has(nodeId)) await this.cluster(null);
    const a = this.addresses.get(nodeId);
    if (!a) throw new ToolError(`broker ${nodeId} is not in the cluster's metadata`);
    c = this.newNodeClient(a);
    this.nodes.set(nodeId, c);
    return c;
  }

  /** Metadata for `topics` (null: every topic), never creating a topic. Updates the broker addresses and topic ids. */
  async cluster(topics: string[] | null): Promise<ClusterView> {
    const res: MetadataResponse = await this.any(Metadata, (v) => ({
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      // v0-3 cannot say no (they always allow it); every broker of this century serves v4+.
      allowAutoTopicCreation: v < 4,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }));
    for (const b of res.brokers) this.addresses.set(b.nodeId, { host: b.host, port: b.port });
    const view: ClusterView = {
      clusterId: res.clusterId,
      controllerId: res.controllerId,
      brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      topics: res.topics.map((t) => ({
        name: t.name ?? '',
        topicId: t.topicId,
        internal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas, errorCode: p.errorCode }))
          .sort((a, b) => a.partition - b.partition),
      })),
    };
    for (const t of view.topics) {
      if (t.errorCode !== ErrorCode.NONE || t.topicId.equals(ZERO_UUID)) continue;
      this.topicIds.set(t.name, t.topicId);
      this.topicNames.set(t.topicId.toString('hex'), t.name);
    }
    return view;
  }

  /**
   * One existing topic. An unknown topic is a ToolError (RetriableError with `justCreated`: the
   * metadata may not show it yet); a topic whose leader is being elected is a RetriableError.
   */
  async topic(name: string, opts: { justCreated?: boolean } = {}): Promise<TopicInfo> {
    const view = await this.cluster([name]);
    const t = view.topics.find((x) => x.name === name);
    if (!t) throw new ToolError(`topic ${name}: not in the broker's answer`);
    if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !opts.justCreated) check(`topic ${name}`, t.errorCode);
    checkRetriable(`topic ${name}`, t.errorCode);
    return t;
  }

  /** The topic id the broker gave `name` (all zero when unknown: requests then go by name). */
  topicId(name: string): Buffer {
    return this.topicIds.get(name) ?? ZERO_UUID;
  }

  /** The name of a topic id seen in Metadata, or null. */
  topicName(id: Buffer): string | null {
    return this.topicNames.get(id.toString('hex')) ?? null;
  }

  private readonly coordinators = new Map<string, number>();

  /** Forgets the coordinator of `group` (it answered NOT_COORDINATOR or is loading). */
  forgetCoordinator(group: string): void {
    this.coordinators.delete(group);
  }

  /** The group coordinator of `group` (remembered until forgotten). */
  async coordinator(group: string): Promise<number> {
    const known = this.coordinators.get(group);
    if (known !== undefined) return known;
    for (let attempt = 0; ; attempt++) {
      const res = await this.any(FindCoordinator, (v) => (v >= 4 ? { key: '', keyType: 0, coordinatorKeys: [group] } : { key: group, keyType: 0, coordinatorKeys: [] }));
      // v4+ answers per key; older versions at the top level.
      const c = res.coordinators[0] ?? { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage };
      if (c.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE && attempt < 20) {
        // The offsets topic is being created (the first group on a new cluster): wait for it.
        await sleep(250);
        continue;
      }
      check(`coordinator of group ${group}`, c.errorCode, c.errorMessage);
      this.addresses.set(c.nodeId, { host: c.host, port: c.port });
      this.coordinators.set(group, c.nodeId);
      return c.nodeId;
    }
  }

  /** Broker ids from the last Metadata. */
  brokerIds(): number[] {
    return [...this.addresses.keys()].sort((a, b) => a - b);
  }

  close(): void {
    for (const c of this.bootstrapClients.values()) c.close();
    for (const c of this.nodes.values()) c.close();
  }
}

function reason(err: Error): string {
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  return cause?.code ? `${err.message.replace(/^cannot connect to [^:]+:\d+: /, '')}` : err.message;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
