/**
 * The share coordinator's per-partition inter-broker APIs (InitializeShareGroupState 83,
 * WriteShareGroupState 85, DeleteShareGroupState 86): CLUSTER_ACTION on the cluster, then each
 * partition's outcome from this broker's share-state store (share/share-state-store.ts), answered
 * once every partition's is settled (durable, or refused).
 */
import { ErrorCode } from '../protocol/errors.js';
import type { SharePartitionId } from '../share/share-state-store.js';
import { authorizeCluster, Op } from './authorize.js';
import type { RequestContext } from './registry.js';

export interface StatePartitionResult {
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export async function stateResults<P extends { partition: number }>(
  req: { groupId: string; topics: ReadonlyArray<{ topicId: Buffer; partitions: readonly P[] }> },
  ctx: RequestContext,
  apply: (id: SharePartitionId, p: P, timeoutMs: number) => number | Promise<number>,
): Promise<{ results: Array<{ topicId: Buffer; partitions: StatePartitionResult[] }> }> {
  const allowed = authorizeCluster(ctx, Op.CLUSTER_ACTION);
  const timeoutMs = Number(ctx.broker.config.get('offsets.commit.timeout.ms'));
  const results = await Promise.all(
    req.topics.map(async (t) => ({
      topicId: t.topicId,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<StatePartitionResult> => {
          if (!allowed) return { partition: p.partition, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
          const id = { groupId: req.groupId, topicId: Buffer.from(t.topicId).toString('base64url'), partition: p.partition };
          return { partition: p.partition, errorCode: await apply(id, p, timeoutMs), errorMessage: null };
        }),
      ),
    })),
  );
  return { results };
}
