/**
 * A broker's copy of the `__cluster_metadata` log, fetched from the controller (KRaft's observer
 * role, as a broker-only node plays it): Fetch v12 of `__cluster_metadata` partition 0 from the
 * end of the local copy, long-polling; each answer's batches are appended to the local metadata
 * log as they are (offsets kept, fsynced), then applied to the broker's image and handed to
 * `onRecords` (the metadata publisher: partitions, leaders, configs reach the replica layer).
 * The local copy is replayed at start like any metadata log, so a restarted broker resumes from
 * its own end.
 *
 * `appliedOffset` is what the broker reports in its heartbeats (currentMetadataOffset);
 * `caughtUp` resolves the first time the local copy reaches the controller's high watermark.
 * A failed request (the controller unreachable) is retried after `backoffMs`; an offset the
 * controller does not have (OFFSET_OUT_OF_RANGE) means the local copy is not this cluster's
 * history: that is reported, and fetching stops.
 *
 * The controller is reached through ControllerChannel (net/node-client.ts satisfies it), so this
 * layer knows nothing about connections.
 */
import type { ApiCodec } from '../protocol/api-codec.js';
import { ErrorCode } from '../protocol/errors.js';
import { Fetch } from '../protocol/generated/index.js';
import type { MetadataImage } from './image.js';
import { METADATA_TOPIC, type MetadataLog } from './metadata-log.js';
import type { MetadataRecord } from './records.js';

/** What a broker needs of its controller's listener. */
export interface ControllerChannel {
  request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req, opts?: { version?: number }): Promise<Res>;
}

export interface MetadataFetcherOptions {
  /** This broker's node id (sent as the replica id of an observer). */
  nodeId: number;
  /** How long a fetch at the log end waits for a change (ms). */
  maxWaitMs: number;
  /** Wait after a failed request (ms). */
  backoffMs: number;
  /** Bytes per answer at most. */
  maxBytes: number;
  onError(message: string): void;
}

const ZERO_UUID = Buffer.alloc(16);

export class MetadataFetcher {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private resolveCaughtUp!: () => void;
  /** Resolves once the local copy has reached the controller's high watermark. */
  readonly caughtUp: Promise<void> = new Promise((resolve) => (this.resolveCaughtUp = resolve));
  private wakeSleep: (() => void) | null = null;

  constructor(
    private readonly channel: ControllerChannel,
    private readonly log: MetadataLog,
    private readonly image: MetadataImage,
    private readonly onRecords: (records: readonly MetadataRecord[]) => void,
    private readonly opts: MetadataFetcherOptions,
  ) {}

  /** The offset of the last record applied to the image (-1 when none). */
  get appliedOffset(): bigint {
    return this.image.lastOffset;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Stops after the fetch in flight is answered (at most maxWaitMs). */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeSleep?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const ok = await this.fetchOnce().catch((e: unknown) => {
        this.opts.onError(`fetching the metadata log from the controller failed: ${(e as Error).message}`);
        return false;
      });
      if (!ok && this.running) await this.sleep(this.opts.backoffMs);
    }
  }

  /** One fetch; false when it failed and the loop should back off. */
  private async fetchOnce(): Promise<boolean> {
    const from = this.log.logEndOffset;
    const res = await this.channel.request(
      Fetch,
      {
        clusterId: null,
        replicaId: this.opts.nodeId,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs: this.opts.maxWaitMs,
        minBytes: 1,
        maxBytes: this.opts.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: METADATA_TOPIC,
            topicId: ZERO_UUID,
            partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: from, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: this.opts.maxBytes, replicaDirectoryId: ZERO_UUID, highWatermark: 9223372036854775807n }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: 12 },
    );
    const p = res.responses[0]?.partitions[0];
    if (res.errorCode !== ErrorCode.NONE || !p) {
      this.opts.onError(`the controller answered the metadata fetch with error ${res.errorCode}`);
      return false;
    }
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      this.opts.onError(`the controller has no metadata at offset ${from} (its log ends at ${p.highWatermark}): this data directory holds another cluster's metadata; stopping`);
      this.running = false;
      return false;
    }
    if (p.errorCode !== ErrorCode.NONE) {
      this.opts.onError(`the controller answered the metadata fetch for ${METADATA_TOPIC}-0 with error ${p.errorCode}`);
      return false;
    }
    if (p.records && p.records.length > 0) {
      this.log.appendAsFollower(p.records);
      const applied = this.log.replayFrom(this.image, from);
      if (applied.length > 0) this.onRecords(applied);
    }
    if (this.log.logEndOffset >= p.highWatermark) this.resolveCaughtUp();
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = null;
        finish();
      };
    });
  }
}
