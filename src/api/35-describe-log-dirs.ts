/**
 * DescribeLogDirs (key 35), versions 0-4: the one data directory, each partition's size in bytes
 * (offset lag 0: no replicas to lag behind), and from v4 the volume's total and usable bytes.
 * A null topic list asks for every partition.
 */
import { statfsSync } from 'node:fs';
import { ErrorCode } from '../protocol/errors.js';
import { DescribeLogDirs, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../protocol/generated/35-describe-log-dirs.js';
import { authorizeCluster, Op } from './authorize.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  codec: DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(req: DescribeLogDirsRequest, ctx: RequestContext): DescribeLogDirsResponse {
    const b = ctx.broker;
    // Issue 13: DESCRIBE on the cluster.
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const wanted = req.topics ?? [...b.image.topicsByName.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
    const topics = wanted
      .map((t) => ({
        name: t.topic,
        partitions: t.partitions.flatMap((partitionIndex) => {
          const plog = b.replicas.getPartition(t.topic, partitionIndex);
          return plog ? [{ partitionIndex, partitionSize: BigInt(plog.sizeBytes()), offsetLag: 0n, isFutureKey: false }] : [];
        }),
      }))
      .filter((t) => t.partitions.length > 0);
    let totalBytes = -1n;
    let usableBytes = -1n;
    try {
      const fs = statfsSync(b.config.dataDir, { bigint: true });
      totalBytes = fs.blocks * fs.bsize;
      usableBytes = fs.bavail * fs.bsize;
    } catch {
      // Unknown: -1, as Kafka answers when it cannot tell.
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{ errorCode: ErrorCode.NONE, logDir: b.config.dataDir, topics, totalBytes, usableBytes }],
    };
  },
};
