/**
 * What ShareFetch (78) and ShareAcknowledge (79) share: opening or continuing the member's share
 * session (its connection's close releases the member's records), and applying acknowledgements
 * per partition with their outcomes and the writes that make them durable.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { SessionOutcome, SessionPartition } from '../share/share-sessions.js';
import type { AcknowledgementBatch } from '../share/share-partition.js';
import type { BrokerServices } from './context.js';
import type { RequestContext } from './registry.js';

export interface AckOutcome {
  topicId: string;
  topic: string | null;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** The session of a request (share-sessions.ts), watched for its connection's close when new. */
export function openShareSession(
  ctx: RequestContext,
  req: { groupId: string; memberId: string; epoch: number; add: readonly SessionPartition[]; forget: readonly SessionPartition[] },
): SessionOutcome {
  const shares = ctx.broker.shares;
  const opened = shares.sessions.open(req, (old) => shares.releaseSession(old));
  if ('session' in opened && opened.full) {
    const s = opened.session;
    s.detach = ctx.onClose(() => {
      if (shares.sessions.close(s)) shares.endSession(s);
    });
  }
  return opened;
}

const ACK_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [ErrorCode.INVALID_RECORD_STATE]: 'The record state is invalid. The acknowledgement of delivery could not be completed.',
};

/**
 * Applies each partition's acknowledgement batches for the member: an outcome per partition
 * (keyed topicId:partition), and the writes to wait for before answering (a write that fails
 * turns its partition's outcome into the write's error).
 */
export function applyAcknowledgements(
  b: BrokerServices,
  groupId: string,
  memberId: string,
  partitions: ReadonlyArray<{ topicId: string; partition: number; acks: ReadonlyArray<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: readonly number[] }> }>,
  readable: ReadonlySet<string>,
): { outcomes: Map<string, AckOutcome>; durable: Array<Promise<void>> } {
  const outcomes = new Map<string, AckOutcome>();
  // A write that did not become durable fails the partition's acknowledgement with its error.
  const durable: Array<Promise<void>> = [];
  for (const p of partitions) {
    const key = `${p.topicId}:${p.partition}`;
    const topic = b.image.topicsById.get(p.topicId)?.name ?? null;
    const outcome = (errorCode: number): void => {
      outcomes.set(key, { topicId: p.topicId, topic, partition: p.partition, errorCode, errorMessage: ACK_ERROR_MESSAGES[errorCode] ?? null });
    };
    if (topic === null) {
      outcome(ErrorCode.UNKNOWN_TOPIC_ID);
      continue;
    }
    if (!readable.has(topic)) {
      outcome(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      continue;
    }
    const batches: AcknowledgementBatch[] = p.acks.map((a) => ({ firstOffset: a.firstOffset, lastOffset: a.lastOffset, acknowledgeTypes: a.acknowledgeTypes }));
    const r = b.shares.acknowledge({ groupId, topicId: p.topicId, partition: p.partition }, topic, memberId, batches);
    outcome(r.errorCode);
    if (r.durable) {
      durable.push(
        r.durable.then((code) => {
          if (code !== ErrorCode.NONE) outcome(code);
        }),
      );
    }
  }
  return { outcomes, durable };
}
