/**
 * How a partition's leader and ISR change, in the role of Kafka's PartitionChangeBuilder: given
 * the partition, the ISR wanted and which brokers may lead, it elects a leader and returns the
 * PartitionChange record, or null when nothing changes.
 *
 * Kafka's rules kept here (metadata.version 3.6 and later, eligible leader replicas off):
 * - the current leader stays while it is in the target ISR and acceptable; otherwise the first
 *   replica (in replica order) that is both; a preferred election tries replicas[0] first;
 * - with no such replica, an unclean election takes the first acceptable replica outside the ISR
 *   and makes it the whole ISR; otherwise the partition is left without a leader (-1);
 * - an empty target ISR is never written: the last ISR member stays in the ISR of a leaderless
 *   partition, so it can lead again when it comes back (it is the only one with every record);
 * - the leader epoch goes up by one when the leader changes (not when only the ISR shrinks, since
 *   KIP-903's metadata.version 3.6) and when replicas leave the partition; the partition epoch by
 *   one on every change;
 * - a reassignment (KIP-455: `addingReplicas`, `removingReplicas`, replicas = target then the
 *   replicas leaving) completes in whatever change first sees every replica of the target in the
 *   ISR (Kafka's PartitionReassignmentReplicas.maybeCompleteReassignment): the replicas become
 *   the target, the leaving ones drop out of the ISR, and a leader is elected among the target's
 *   replicas if the old one left. With nothing to add, it completes once some ISR member stays.
 */
import type { PartitionState } from './image.js';
import type { PartitionChangeRecord } from './records.js';

export const NO_LEADER = -1;

export type Election = 'any' | 'preferred' | 'unclean';

export interface PartitionChangeSpec {
  /** The ISR the change aims at (the current one when omitted). */
  targetIsr?: readonly number[];
  election?: Election;
  /** Whether a broker may lead: registered, not fenced, not in controlled shutdown (by default). */
  isAcceptableLeader: (brokerId: number) => boolean;
  /** The replicas, and those joining and leaving in a reassignment (the current ones when omitted). */
  targetReplicas?: readonly number[];
  targetAdding?: readonly number[];
  targetRemoving?: readonly number[];
}

/** The replicas and ISR a reassignment ends with, or null while it must wait (or none is going on). */
export function completedReassignment(
  replicas: readonly number[],
  adding: readonly number[],
  removing: readonly number[],
  isr: readonly number[],
): { replicas: number[]; isr: number[] } | null {
  if (adding.length === 0 && removing.length === 0) return null;
  const stays = (r: number): boolean => !removing.includes(r);
  const newIsr = isr.filter(stays);
  const newReplicas = replicas.filter(stays);
  if (newIsr.length === 0 || newReplicas.length === 0) return null;
  if (!newReplicas.every((r) => newIsr.includes(r))) return null;
  return { replicas: newReplicas, isr: newIsr };
}

export function buildPartitionChange(topicId: string, p: PartitionState, spec: PartitionChangeSpec): PartitionChangeRecord | null {
  const election = spec.election ?? 'any';
  let targetIsr = [...(spec.targetIsr ?? p.isr)];
  let replicas = [...(spec.targetReplicas ?? p.replicas)];
  let adding = [...(spec.targetAdding ?? p.addingReplicas ?? [])];
  let removing = [...(spec.targetRemoving ?? p.removingReplicas ?? [])];
  const completed = completedReassignment(replicas, adding, removing, targetIsr);
  if (completed) {
    replicas = completed.replicas;
    targetIsr = completed.isr;
    adding = [];
    removing = [];
  }
  const isValidNewLeader = (r: number): boolean => targetIsr.includes(r) && spec.isAcceptableLeader(r);

  let leader = NO_LEADER;
  let unclean = false;
  const preferred = replicas[0];
  if (election === 'preferred' && preferred !== undefined && isValidNewLeader(preferred)) leader = preferred;
  else if (isValidNewLeader(p.leader)) leader = p.leader;
  else {
    const clean = replicas.find(isValidNewLeader);
    if (clean !== undefined) leader = clean;
    else if (election === 'unclean') {
      const any = replicas.find((r) => spec.isAcceptableLeader(r));
      if (any !== undefined) {
        leader = any;
        unclean = true;
      }
    }
  }

  let isr = p.isr;
  if (leader !== p.leader && unclean) isr = [leader];
  else if (targetIsr.length > 0 && !sameList(targetIsr, p.isr)) isr = targetIsr;
  const assignmentSame = sameList(replicas, p.replicas) && sameList(adding, p.addingReplicas ?? []) && sameList(removing, p.removingReplicas ?? []);
  if (leader === p.leader && sameList(isr, p.isr) && assignmentSame) return null;
  // Replicas leaving: a new leader epoch, so the leaving ones' fetches are fenced (Kafka's
  // triggerLeaderEpochBumpForReplicaReassignmentIfNeeded).
  const replicasLeft = p.replicas.some((r) => !replicas.includes(r));
  return {
    type: 'PartitionChange',
    topicId,
    partition: p.partition,
    replicas,
    isr: [...isr],
    leader,
    leaderEpoch: leader !== p.leader || replicasLeft ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
    addingReplicas: adding,
    removingReplicas: removing,
  };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
