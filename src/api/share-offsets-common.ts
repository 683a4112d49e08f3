/**
 * What AlterShareGroupOffsets (91) and DeleteShareGroupOffsets (92) check first, in Kafka's order:
 * share.version (UNSUPPORTED_VERSION), the group right (READ to alter, DELETE to delete:
 * GROUP_AUTHORIZATION_FAILED), then the group (NOT_COORDINATOR, GROUP_ID_NOT_FOUND,
 * NON_EMPTY_GROUP); each is the answer's top-level error. Then the topics the caller may READ.
 */
import { ErrorCode } from '../protocol/errors.js';
import { SHARE_GROUPS_DISABLED, shareGroupsEnabled } from '../metadata/features.js';
import type { ShareGroup } from '../group/share-group.js';
import { authorize, authorizedNames, Op, Res } from './authorize.js';
import type { RequestContext } from './registry.js';

export const NO_TOPIC_ID = Buffer.alloc(16);
export const TOPIC_AUTHORIZATION_FAILED_MESSAGE = 'Topic authorization failed.';
export const NOT_HOSTED_MESSAGE = 'This server does not host this topic-partition.';

export function offsetsTarget(
  ctx: RequestContext,
  groupId: string,
  groupOp: number,
  topicNames: readonly string[],
): { group: ShareGroup; readable: Set<string> } | { errorCode: number; errorMessage: string | null } {
  const b = ctx.broker;
  if (!shareGroupsEnabled(b.image.features)) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: SHARE_GROUPS_DISABLED };
  if (!authorize(ctx, groupOp, Res.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
  const group = b.groups.share.offsetsChangeable(groupId);
  if ('errorCode' in group) return group;
  return { group, readable: authorizedNames(ctx, Op.READ, Res.TOPIC, topicNames) };
}
