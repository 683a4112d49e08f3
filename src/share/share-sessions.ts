/**
 * Share sessions (KIP-932): the partitions a share group member fetches from this broker, so
 * that a ShareFetch names only what changed. Kafka's ShareSessionCache, keyed by (group, member):
 *  - ShareSessionEpoch 0 opens a session with the request's partitions, replacing one the member
 *    had (a client that restarts its session starts again);
 *  - an epoch above 0 must be the session's next epoch (INVALID_SHARE_SESSION_EPOCH otherwise,
 *    SHARE_SESSION_NOT_FOUND without a session): its partitions are added, ForgottenTopicsData
 *    removed, and the epoch moves on (wrapping to 1 after 2^31-1);
 *  - -1 is the member's last request: acknowledgements only, then the session is closed.
 * A session belongs to the connection that opened it: when that connection closes, the session
 * goes and the records its member acquired here are released (Kafka's disconnect listener), so a
 * killed consumer's records come back at once instead of after their acquisition lock.
 * The cache is bounded by group.share.max.share.sessions: a new session beyond it is
 * SHARE_SESSION_LIMIT_REACHED.
 */
import { ErrorCode } from '../protocol/errors.js';

export const SHARE_SESSION_INITIAL_EPOCH = 0;
export const SHARE_SESSION_FINAL_EPOCH = -1;

/** A partition of a session: topic id (base64url) and index. */
export interface SessionPartition {
  topicId: string;
  partition: number;
}

export interface ShareSession {
  readonly groupId: string;
  readonly memberId: string;
  /** The epoch the member's next request must carry. */
  epoch: number;
  /** topicId:partition -> partition. */
  readonly partitions: Map<string, SessionPartition>;
  /** Stops listening for the close of the connection that opened the session. */
  detach: () => void;
  /** Where the next fetch starts in `partitions`: each fetch starts one further, so no partition starves the others. */
  rotation: number;
}

export const sessionPartitionKey = (p: SessionPartition): string => `${p.topicId}:${p.partition}`;

function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

export type SessionOutcome = { session: ShareSession; full: boolean } | { errorCode: number; errorMessage: string };

export class ShareSessionCache {
  private readonly sessions = new Map<string, ShareSession>();

  constructor(private readonly maxSessions: () => number) {}

  private static key(groupId: string, memberId: string): string {
    return `${groupId}\0${memberId}`;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.sessions.get(ShareSessionCache.key(groupId, memberId));
  }

  /**
   * The session a ShareFetch or ShareAcknowledge works in, after applying its epoch, added and
   * forgotten partitions; or the error to answer with. `removed` receives the session a new one
   * replaced (its member's records are the caller's to release).
   */
  open(req: { groupId: string; memberId: string; epoch: number; add: readonly SessionPartition[]; forget: readonly SessionPartition[] }, removed: (s: ShareSession) => void): SessionOutcome {
    const key = ShareSessionCache.key(req.groupId, req.memberId);
    const existing = this.sessions.get(key);
    if (req.epoch === SHARE_SESSION_INITIAL_EPOCH) {
      if (existing) {
        this.sessions.delete(key);
        existing.detach();
        removed(existing);
      } else if (this.sessions.size >= this.maxSessions()) {
        return { errorCode: ErrorCode.SHARE_SESSION_LIMIT_REACHED, errorMessage: 'The limit of share sessions has been reached.' };
      }
      const session: ShareSession = { groupId: req.groupId, memberId: req.memberId, epoch: nextEpoch(0), partitions: new Map(), detach: () => {}, rotation: 0 };
      for (const p of req.add) session.partitions.set(sessionPartitionKey(p), p);
      this.sessions.set(key, session);
      return { session, full: true };
    }
    if (!existing) return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, errorMessage: `Share session for member ${req.memberId} of group ${req.groupId} was not found.` };
    if (req.epoch === SHARE_SESSION_FINAL_EPOCH) return { session: existing, full: false };
    if (req.epoch !== existing.epoch) {
      return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, errorMessage: `The share session epoch is invalid: expected ${existing.epoch}, got ${req.epoch}.` };
    }
    existing.epoch = nextEpoch(existing.epoch);
    for (const p of req.add) existing.partitions.set(sessionPartitionKey(p), p);
    for (const p of req.forget) existing.partitions.delete(sessionPartitionKey(p));
    return { session: existing, full: false };
  }

  /** Closes a session (the final request, its connection closed); false when it was not open. */
  close(s: ShareSession): boolean {
    const key = ShareSessionCache.key(s.groupId, s.memberId);
    if (this.sessions.get(key) !== s) return false;
    this.sessions.delete(key);
    s.detach();
    return true;
  }

  /** Every open session (the inspector, tests). */
  all(): IterableIterator<ShareSession> {
    return this.sessions.values();
  }
}
