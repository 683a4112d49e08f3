/**
 * A follower's fetcher of one leader's partitions, in the role of Kafka's ReplicaFetcherThread:
 * a loop of Fetch requests (v12, the version the LeaderEndpoint must send: replica id = this node, current leader epoch, last fetched
 * epoch, fetch offset = this replica's log end) to the leader, appending what comes back as it
 * is and following the leader's high watermark.
 *
 * Per partition, as Kafka's AbstractFetcherThread handles the answer:
 *  - records: appended as follower (offsets and epochs kept); the high watermark becomes the
 *    leader's, cut at this log's end;
 *  - diverging_epoch (KIP-595): this log's tail is not the leader's: truncate to where the epochs
 *    agree (Partition.truncationOffsetFor), then fetch again from there;
 *  - OFFSET_OUT_OF_RANGE: the leader's log start passed this replica's end (retention,
 *    DeleteRecords): empty the log and restart it at the leader's log start; or this log runs
 *    past the leader's end: truncate to the leader's end (ListOffsets to the leader);
 *  - NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH and other errors: the
 *    partition waits `backoffMs` (replica.fetch.backoff.ms) and is fetched again; the metadata
 *    publisher moves it to another fetcher (or stops fetching) when the leadership changes.
 * A request that fails (the leader unreachable) backs the whole fetcher off.
 *
 * The leader is reached through LeaderEndpoint (net/node-client.ts in a broker; a stand-in in
 * tests), so this layer knows nothing about connections.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse } from '../protocol/generated/index.js';
import { validateBatches } from '../log/record-batch.js';
import { LogStorageError } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

/** What a follower needs of its leader. */
export interface LeaderEndpoint {
  readonly leaderId: number;
  fetch(req: FetchRequest): Promise<FetchResponse>;
  listOffsets(req: ListOffsetsRequest): Promise<ListOffsetsResponse>;
  close(): void;
}

export interface FetcherOptions {
  /** This broker's node id, sent as the replica id. */
  replicaId: number;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.response.max.bytes */
  maxBytes: number;
  /** replica.fetch.max.bytes */
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
}

const ZERO_UUID = Buffer.alloc(16);
const LATEST = -1n;

interface FetchState {
  topic: string;
  partition: number;
  /** Not fetched again before this time (after an error). */
  delayedUntilMs: number;
}

export class ReplicaFetcher {
  private readonly partitions = new Map<string, FetchState>();
  private running = false;
  private stopped: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    readonly leader: LeaderEndpoint,
    private readonly replicas: ReplicaManager,
    private readonly opts: FetcherOptions,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  get partitionCount(): number {
    return this.partitions.size;
  }

  addPartition(topic: string, partition: number): void {
    this.partitions.set(`${topic}\u0000${partition}`, { topic, partition, delayedUntilMs: 0 });
    this.wake?.();
    if (!this.running) this.start();
  }

  removePartition(topic: string, partition: number): void {
    this.partitions.delete(`${topic}\u0000${partition}`);
  }

  /** Stops the loop after the request in flight; resolves once it has stopped. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.stopped;
    this.leader.close();
  }

  private start(): void {
    this.running = true;
    this.stopped = this.loop().catch((e: unknown) => this.onError(`replica fetcher for leader ${this.leader.leaderId} stopped: ${(e as Error).message}`));
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const due = [...this.partitions.values()].filter((s) => s.delayedUntilMs <= now);
      if (due.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((s) => s.delayedUntilMs), now + this.opts.backoffMs);
        await this.sleep(Math.max(1, next - now));
        continue;
      }
      let res: FetchResponse;
      try {
        res = await this.leader.fetch(this.request(due));
      } catch (e) {
        this.onError(`fetch from leader ${this.leader.leaderId} failed: ${(e as Error).message}`);
        await this.sleep(this.opts.backoffMs);
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) {
        this.onError(`fetch from leader ${this.leader.leaderId} answered error ${res.errorCode}`);
        await this.sleep(this.opts.backoffMs);
        continue;
      }
      for (const t of res.responses) for (const p of t.partitions) await this.handle(t.topic, p);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private request(due: readonly FetchState[]): FetchRequest {
    const byTopic = new Map<string, FetchRequest['topics'][number]>();
    for (const s of due) {
      const p = this.replicas.getPartition(s.topic, s.partition);
      if (!p) continue;
      let t = byTopic.get(s.topic);
      if (!t) byTopic.set(s.topic, (t = { topic: s.topic, topicId: ZERO_UUID, partitions: [] }));
      t.partitions.push({
        partition: s.partition,
        currentLeaderEpoch: p.leaderEpoch,
        fetchOffset: p.logEndOffset,
        lastFetchedEpoch: p.latestEpoch,
        logStartOffset: p.logStartOffset,
        partitionMaxBytes: this.opts.partitionMaxBytes,
        replicaDirectoryId: ZERO_UUID,
        highWatermark: 9223372036854775807n,
      });
    }
    return {
      clusterId: null,
      replicaId: this.opts.replicaId,
      // Fetch v12 names the replica in replica_id; v15+'s ReplicaState (with the broker epoch) is
      // for when Fetch v15 is served (issue 15).
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: this.opts.maxWaitMs,
      minBytes: this.opts.minBytes,
      maxBytes: this.opts.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private async handle(topic: string, data: FetchResponse['responses'][number]['partitions'][number]): Promise<void> {
    const state = this.partitions.get(`${topic}\u0000${data.partitionIndex}`);
    const p = this.replicas.getPartition(topic, data.partitionIndex);
    if (!state || !p) return;
    try {
      if (data.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return await this.outOfRange(topic, data.partitionIndex);
      if (data.errorCode !== ErrorCode.NONE) {
        state.delayedUntilMs = Date.now() + this.opts.backoffMs;
        return;
      }
      if (data.divergingEpoch.epoch >= 0 || data.divergingEpoch.endOffset >= 0n) {
        p.truncateTo(p.truncationOffsetFor(data.divergingEpoch));
        return;
      }
      const records = data.records ?? Buffer.alloc(0);
      // A batch cut by the leader's byte budget is left for the next fetch (whole batches only).
      const whole = wholeBatchesEnd(records);
      const batches = records.subarray(0, whole);
      if (batches.length > 0) {
        const checked = validateBatches(batches, { maxBatchBytes: Number.MAX_SAFE_INTEGER, origin: 'replication' });
        if (!checked.ok) throw new Error(`the leader sent a batch that fails its check: ${checked.message}`);
        this.replicas.appendAsFollower(topic, data.partitionIndex, batches, checked.batches, data.highWatermark);
      } else {
        const before = p.highWatermark;
        p.followHighWatermark(data.highWatermark);
        // Consumers reading from this follower (KIP-392) wait for its high watermark to move.
        if (p.highWatermark !== before) this.replicas.partitionChanged(topic, data.partitionIndex);
      }
    } catch (e) {
      if (!(e instanceof LogStorageError)) this.onError(`replicating ${topic}-${data.partitionIndex}: ${(e as Error).message}`);
      state.delayedUntilMs = Date.now() + this.opts.backoffMs;
    }
  }

  /** The leader cannot serve this replica's fetch offset: ask it where its log starts and ends. */
  private async outOfRange(topic: string, partition: number): Promise<void> {
    const p = this.replicas.getPartition(topic, partition)!;
    const ask = async (timestamp: bigint): Promise<bigint | null> => {
      const res = await this.leader.listOffsets({
        replicaId: this.opts.replicaId,
        isolationLevel: 0,
        timeoutMs: 30_000,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: p.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
      });
      const r = res.topics[0]?.partitions[0];
      return r && r.errorCode === ErrorCode.NONE ? r.offset : null;
    };
    const leaderEnd = await ask(LATEST);
    if (leaderEnd === null) return;
    if (p.logEndOffset > leaderEnd) return p.truncateTo(leaderEnd);
    const leaderStart = await ask(-2n);
    if (leaderStart !== null && p.logEndOffset < leaderStart) p.truncateFullyAndStartAt(leaderStart);
  }
}

/** The end of the whole batches at the start of `records` (a fetch may end in a partial one). */
function wholeBatchesEnd(records: Buffer): number {
  let pos = 0;
  while (records.length - pos >= 12) {
    const size = 12 + records.readInt32BE(pos + 8);
    if (pos + size > records.length) break;
    pos += size;
  }
  return pos;
}


/**
 * The fetchers of one follower broker, one per leader it follows (Kafka's ReplicaFetcherManager
 * with num.replica.fetchers=1): a partition whose committed leader is another broker is fetched
 * from that leader; a leadership change moves it to the new leader's fetcher; a fetcher left
 * without partitions stops. `endpointFor` reaches a leader (null while its address is unknown:
 * the partition is tried again at the next change).
 */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** topic\0partition -> the leader it is fetched from. */
  private readonly following = new Map<string, number>();

  constructor(
    private readonly replicas: ReplicaManager,
    private readonly opts: FetcherOptions,
    private readonly endpointFor: (leaderId: number) => LeaderEndpoint | null,
    private readonly onError: (message: string) => void,
  ) {}

  /** Fetchers running (one per leader followed). */
  get fetcherCount(): number {
    return this.fetchers.size;
  }

  /** Fetches the partition from `leaderId`, or stops fetching it (`leaderId` null: this broker leads, or holds no replica). */
  follow(topic: string, partition: number, leaderId: number | null): void {
    const key = `${topic}\u0000${partition}`;
    const current = this.following.get(key);
    if (current === leaderId) return;
    if (current !== undefined) {
      this.following.delete(key);
      const f = this.fetchers.get(current);
      f?.removePartition(topic, partition);
      if (f && f.partitionCount === 0) {
        this.fetchers.delete(current);
        void f.stop();
      }
    }
    if (leaderId === null || leaderId < 0) return;
    let f = this.fetchers.get(leaderId);
    if (!f) {
      const endpoint = this.endpointFor(leaderId);
      if (!endpoint) return;
      f = new ReplicaFetcher(endpoint, this.replicas, this.opts, this.onError);
      this.fetchers.set(leaderId, f);
    }
    this.following.set(key, leaderId);
    f.addPartition(topic, partition);
  }

  async stopAll(): Promise<void> {
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.following.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
