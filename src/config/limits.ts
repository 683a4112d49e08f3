/**
 * Every bound in the broker, in one place (STYLE.md principle 6). A queue, loop or buffer that
 * grows with input takes its limit from here. `checkLimits()` runs at start-up and fails loudly
 * when two limits contradict each other.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const limits = {
  /** Largest request frame accepted (Kafka's socket.request.max.bytes default: 100 MiB). */
  socketRequestMaxBytes: 100 * 1024 * 1024,
  /**
   * Timer firings one advance of a virtual clock may run (control/clock.ts); beyond, it stops at
   * the time reached. Periodic checks fire once per run of ticks, so only a runaway chain of
   * one-shot timers gets near it.
   */
  virtualClockFiringsPerAdvanceMax: 1_000_000,
  /** Faults armed at once (control/faults.ts): each is checked against every request while armed. */
  faultsMax: 1000,
  /** Requests read from one connection and not yet answered; reading pauses at this depth. */
  inFlightRequestsPerConnection: 64,
  /**
   * Bytes of responses one connection may have queued and not yet taken by the client, counting
   * a Fetch in progress at what it may return. Past it we dispatch no more of its requests.
   */
  pendingResponseBytesPerConnection: 64 * 1024 * 1024,
  /**
   * The same across all connections: the broker's memory for responses clients have not read.
   * A connection whose Fetch would pass it waits until others drain or are closed.
   */
  pendingResponseBytesTotal: 256 * 1024 * 1024,
  /**
   * Open client connections, whatever max.connections says (Kafka's default is unbounded; every
   * connection costs a file descriptor and buffers).
   */
  connectionsMax: 10_000,
  /**
   * Longest a request may take to arrive once its first bytes are in, and longest queued
   * response bytes may go without the client taking any (ms); connections.max.idle.ms when that
   * is shorter. A stalled frame holds queued.max.request.bytes memory; Kafka has no such timeout
   * and waits for connections.max.idle.ms (10 minutes) instead.
   */
  transferStallMsMax: 30_000,
  /**
   * At max.connections, a new connection takes the place of the least recently active one when
   * that one has been idle this long with nothing in progress (ms); otherwise it is refused.
   */
  evictIdleMsMin: 1_000,
  /** Least recently active connections looked at for one to close at max.connections. */
  evictCandidatesMax: 16,
  /** Largest queued.max.request.bytes: the memory for requests being received and handled. */
  queuedRequestBytesMax: 2 ** 31 - 1,
  /** Fetch requests parked in long polls across the broker. */
  fetchWaitersMax: 10_000,
  /**
   * Produce requests with acks=all waiting for the high watermark across the broker; past it a
   * request is answered at once, REQUEST_TIMED_OUT for what is not yet replicated (retriable).
   */
  delayedProducesMax: 10_000,
  /** Largest max.incremental.fetch.session.cache.slots honoured (fetch sessions, KIP-227; Kafka has no cap). */
  fetchSessionCacheSlotsMax: 100_000,
  /**
   * Partitions one fetch session may hold, and all sessions together. Kafka bounds neither: a
   * client naming topic ids the broker does not know could grow its session without end. A full
   * fetch past them gets no session; an incremental one that would grow its session past them
   * closes it (FETCH_SESSION_ID_NOT_FOUND), and the client goes back to full fetches.
   */
  fetchSessionPartitionsMax: 100_000,
  fetchSessionPartitionsTotalMax: 1_000_000,
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
  /**
   * Entries of one partition's leader-epoch cache (log/leader-epoch-cache.ts). Kafka has no bound:
   * an entry is added per leader epoch that wrote data and removed only when retention moves the
   * log start past it, so a partition whose leadership flaps under long retention grows its list
   * (and its leader-epoch-checkpoint file, ~30 bytes a line, rewritten whole on every change).
   * 10,000 is a leader change with data every minute for a week of retention. Past it the oldest
   * entry is dropped: only OffsetForLeaderEpoch answers for epochs older than the oldest kept one
   * change (they get that entry's start as their end, as Kafka answers for epochs below its first).
   */
  leaderEpochEntriesMax: 10_000,
  /** Members of one consumer group (group.max.size is capped by this). */
  groupMembersMax: 10_000,
  /**
   * Largest group.share.partition.max.record.locks honoured: the offsets one share-partition may
   * have in flight (share/share-partition.ts), so also its in-flight ranges. Kafka 4.1.1 accepts
   * 100 to 10,000 for the setting (default 2,000).
   */
  shareRecordLocksPerPartitionMax: 10_000,
  /**
   * Share sessions one broker keeps (group.share.max.share.sessions is capped by this): each holds
   * its member's partition list, bounded by the partitions of the cluster.
   */
  shareSessionsMax: 100_000,
  /** Config entries in one request or topic. */
  configEntriesMax: 1_000,
  /**
   * File descriptors kept out of the log files' budget for the rest of the process: stdio, the
   * listener, the addon, short-lived opens (meta.properties, directory fsyncs).
   */
  fileDescriptorsReserved: 64,
  /**
   * Share of the rest of the open-file limit (RLIMIT_NOFILE) that log files may hold open at once
   * (log/bounded-file-io.ts closes idle ones past it); the other part is left for connections.
   */
  logFileHandlesShare: 0.5,
  /** Fewest log files kept open, whatever the limit: the active segments of two partitions. */
  logFileHandlesMin: 6,
  /** Requests the request log keeps (control/request-log.ts), the newest; ~300 bytes each. */
  requestLogEntriesMax: 1_000,
  /**
   * Client telemetry instances (KIP-714) the broker remembers (telemetry/client-metrics.ts); Kafka's
   * ClientMetricsManager keeps 16,384 (its CACHE_MAX_SIZE), evicting the least recently used.
   */
  telemetryClientInstancesMax: 16_384,
  /** Metric names decoded from one push (telemetry/otlp.ts) and kept per client instance for the inspector. */
  telemetryMetricNamesMax: 1_000,
  /**
   * Bytes a telemetry push may inflate to when its metric names are decoded for the inspector
   * (telemetry/client-metrics.ts); past it the names are not shown. A Java producer's push is a few
   * KiB; decoding runs on the event loop, so the bound is kept small.
   */
  telemetryDecompressedBytesMax: 4 * 1024 * 1024,
  /** Client instances the inspector still shows after they are forgotten (closed, expired). */
  telemetryDepartedMax: 100,
  /** `nextRequest` calls that may wait at once (each is matched against every answered request). */
  requestWaitersMax: 100,
  /** The open-file limit assumed when the process's own cannot be read. */
  openFilesLimitDefault: 1024,
} as const;

/** How many log files may be open at once under an open-file limit of `openFilesLimit`. */
export function logFileHandlesMax(openFilesLimit: number, l: typeof limits = limits): number {
  const share = Math.floor((openFilesLimit - l.fileDescriptorsReserved) * l.logFileHandlesShare);
  return Math.max(l.logFileHandlesMin, share);
}

/**
 * Client connections the process can hold beside its log files: the open-file limit less the log
 * files' budget and the descriptors kept for everything else. max.connections is capped by it, so
 * a flood of connections meets max.connections (and its idle eviction) before EMFILE.
 */
export function connectionsMaxFor(openFilesLimit: number, logFileHandles: number, l: typeof limits = limits): number {
  return Math.max(1, Math.min(l.connectionsMax, openFilesLimit - logFileHandles - l.fileDescriptorsReserved));
}

/**
 * The process's soft limit on open files (RLIMIT_NOFILE), from /proc/self/limits on Linux, else
 * from `ulimit -n`; `openFilesLimitDefault` when neither answers with a number.
 */
export function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    // not Linux: ask the shell
  }
  const out = spawnSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (out === 'unlimited') return Number.MAX_SAFE_INTEGER;
  return /^\d+$/.test(out) ? Number(out) : limits.openFilesLimitDefault;
}

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
  if (l.pendingResponseBytesPerConnection > l.pendingResponseBytesTotal)
    fail('one connection could queue more response bytes than all connections together');
  if (l.socketRequestMaxBytes > l.queuedRequestBytesMax) fail('the largest frame must fit in queued.max.request.bytes');
  if (l.connectionsMax < 1) fail('connectionsMax < 1');
  if (l.transferStallMsMax < 1) fail('transferStallMsMax < 1');
  if (l.evictCandidatesMax < 1) fail('evictCandidatesMax < 1');
  if (l.partitionsPerTopicMax > l.partitionsMax) fail('partitionsPerTopicMax > partitionsMax');
  if (l.socketRequestMaxBytes > 2 ** 31 - 1) fail('frame size must fit in int32');
  if (l.inFlightRequestsPerConnection < 1) fail('inFlightRequestsPerConnection < 1');
  if (!(l.logFileHandlesShare > 0 && l.logFileHandlesShare < 1)) fail('logFileHandlesShare must leave descriptors to both log files and connections');
  // One partition's active segment holds three files; two must fit for appends and a roll to proceed.
  if (l.logFileHandlesMin < 6) fail('logFileHandlesMin < 6');
  if (l.leaderEpochEntriesMax < 1) fail('leaderEpochEntriesMax < 1: the cache must hold at least the latest epoch');
  if (l.requestLogEntriesMax < 1 || l.requestWaitersMax < 1) fail('the request log must hold an entry and admit a waiter');
  if (l.fetchSessionPartitionsMax > l.fetchSessionPartitionsTotalMax) fail('one fetch session could hold more partitions than all sessions together');
  if (l.telemetryClientInstancesMax < 1 || l.telemetryMetricNamesMax < 0) fail('telemetry must remember at least one client instance');
  if (l.decompressWorkers < 0 || l.decompressQueueMax < 0) fail('decompression workers and queue must not be negative');
}
