/**
 * Every bound in the broker, in one place (STYLE.md principle 6). A queue, loop or buffer that
 * grows with input takes its limit from here. `checkLimits()` runs at start-up and fails loudly
 * when two limits contradict each other.
 */

export const limits = {
  /** Largest request frame accepted (Kafka's socket.request.max.bytes default: 100 MiB). */
  socketRequestMaxBytes: 100 * 1024 * 1024,
  /** Requests read from one connection and not yet answered; reading pauses at this depth. */
  inFlightRequestsPerConnection: 64,
  /** Bytes of unanswered responses queued on one connection before we stop reading it. */
  pendingResponseBytesPerConnection: 64 * 1024 * 1024,
  /** Open client connections; further ones are closed at accept. */
  connectionsMax: 10_000,
  /** Fetch requests parked in long polls across the broker. */
  fetchWaitersMax: 10_000,
  /** Longest long poll honoured, whatever the client asks (ms). */
  fetchMaxWaitMsCap: 30_000,
  /** Largest Fetch response we build, whatever the client asks. */
  fetchResponseBytesMax: 64 * 1024 * 1024,
  /** Topics, partitions per topic and partitions in all: bounds on what CreateTopics may ask. */
  topicsMax: 10_000,
  partitionsPerTopicMax: 10_000,
  partitionsMax: 100_000,
  /** Longest topic name (Kafka's limit). */
  topicNameLengthMax: 249,
  /** Entries read from one segment when rebuilding its indexes; a larger segment is refused. */
  recoveryBatchesPerSegmentMax: 50_000_000,
  /** Records in one batch that the broker will decode for its own use (metadata log replay). */
  recordsPerInternalBatchMax: 1_000_000,
  /**
   * Bytes a compressed batch may expand to when the broker decodes it (log cleaner; the absolute
   * cap of the produce bound below); a larger one is left as it is / refused.
   */
  decompressedBatchBytesMax: 256 * 1024 * 1024,
  /**
   * A produced compressed batch may expand to at most this many times its topic's
   * max.message.bytes (default 1 MiB: 32 MiB), capped by decompressedBatchBytesMax, else it is
   * refused with MESSAGE_TOO_LARGE (the Java producer then splits the batch). Kafka has no such
   * bound and inflates whatever comes; 32 is far above what producers build (librdkafka caps the
   * uncompressed batch at message.max.bytes; the Java producer sizes batches by batch.size,
   * 16 KiB by default, of compressed bytes, and text compresses 3-10x) and far below a bomb's
   * ratio (gzip reaches ~1000x: a 306 KB batch expanding to 315 MB).
   */
  decompressedPerMessageByteMax: 32,
  /**
   * Compressed batches of more than this many bytes are decompressed and walked in a worker
   * thread, not on the event loop: at gzip's ~1000x worst case, what stays on the event loop
   * expands to at most ~4 MiB (a few ms).
   */
  decompressInlineBytesMax: 4 * 1024,
  /** Worker threads that decompress produced batches (the machine has few cores). */
  decompressWorkers: 1,
  /**
   * Batches queued for the decompression workers (each holds a copy of at most max.message.bytes);
   * when full, a large compressed batch is answered REQUEST_TIMED_OUT (retriable).
   */
  decompressQueueMax: 64,
  /**
   * Keys in the log cleaner's offset map for one pass over one partition (Kafka bounds it by
   * log.cleaner.dedupe.buffer.size instead). A pass stops at the segment where the map fills and
   * goes on from there next time; the first dirty segment always goes in whole.
   */
  cleanerOffsetMapKeysMax: 4_000_000,
  /** Members of one consumer group (group.max.size is capped by this). */
  groupMembersMax: 10_000,
  /** Config entries in one request or topic. */
  configEntriesMax: 1_000,
} as const;

/** Bytes a produced compressed batch may expand to, for a topic's max.message.bytes. */
export function decompressedBytesFor(maxMessageBytes: number, l: typeof limits = limits): number {
  return Math.min(l.decompressedBatchBytesMax, Math.max(1, maxMessageBytes) * l.decompressedPerMessageByteMax);
}

export function checkLimits(l: typeof limits = limits): void {
  const fail = (msg: string): never => {
    throw new Error(`inconsistent limits: ${msg}`);
  };
  if (l.fetchResponseBytesMax > l.pendingResponseBytesPerConnection)
    fail('one fetch response could exceed the per-connection response queue');
  if (l.partitionsPerTopicMax > l.partitionsMax) fail('partitionsPerTopicMax > partitionsMax');
  if (l.socketRequestMaxBytes > 2 ** 31 - 1) fail('frame size must fit in int32');
  if (l.inFlightRequestsPerConnection < 1) fail('inFlightRequestsPerConnection < 1');
  if (l.decompressWorkers < 0 || l.decompressQueueMax < 0) fail('decompression workers and queue must not be negative');
}
