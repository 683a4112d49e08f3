/**
 * Server-side assignors of KIP-848 consumer groups (`group.consumer.assignors`): `uniform` (the
 * default, Kafka's UniformAssignor) and `range` (Kafka's RangeAssignor). Pure functions from the
 * members' subscriptions, the subscribed topics' partition counts and the previous target
 * assignment to a new target assignment. Topics are named by id (base64url), as the records and the
 * heartbeat carry them.
 *
 * uniform: every member gets a balanced share of the partitions of the topics it subscribes to
 *   (counts differ by at most one between members with the same subscription), keeping as many
 *   partitions where they were as balance allows (sticky), so a rebalance moves few partitions.
 * range: per topic, the members subscribed to it (ordered by member id) get contiguous ranges of
 *   partitions, the first members one more when the count does not divide evenly; members with
 *   the same subscription therefore get the same partition numbers of co-partitioned topics.
 */

/** topic id -> partitions. */
export type Assignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** Ids of the topics this member subscribes to that exist. */
  topics: ReadonlySet<string>;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Partition count of every subscribed topic, by id. */
  partitions: ReadonlyMap<string, number>;
  /** The group's current target assignment by member id (stickiness). */
  previous: ReadonlyMap<string, Assignment>;
}

export type Assignor = (input: AssignorInput) => Map<string, Assignment>;

export const ASSIGNOR_NAMES = ['uniform', 'range'] as const;
export type AssignorName = (typeof ASSIGNOR_NAMES)[number];

export const ASSIGNORS: Readonly<Record<AssignorName, Assignor>> = {
  uniform: uniformAssign,
  range: rangeAssign,
};

function add(a: Assignment, topic: string, partition: number): void {
  let s = a.get(topic);
  if (!s) a.set(topic, (s = new Set()));
  s.add(partition);
}

function size(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

/** Members in a fixed order, so the same input always gives the same assignment. */
function ordered(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

export function rangeAssign(input: AssignorInput): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  const members = ordered(input.members);
  for (const m of members) out.set(m.memberId, new Map());
  const topics = [...input.partitions.keys()].sort();
  for (const topic of topics) {
    const n = input.partitions.get(topic)!;
    const subscribers = members.filter((m) => m.topics.has(topic));
    if (subscribers.length === 0) continue;
    const per = Math.floor(n / subscribers.length);
    const extra = n % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const count = per + (i < extra ? 1 : 0);
      for (let p = next; p < next + count; p++) add(out.get(m.memberId)!, topic, p);
      next += count;
    });
  }
  return out;
}

/**
 * Balanced and sticky. Each partition goes to one of the members subscribed to its topic. First
 * every member keeps the partitions of its previous target that it still subscribes to, up to its
 * quota (the fair share among the members that can take that topic); the rest go, topic by topic,
 * to the eligible member with the fewest partitions; then partitions move from the most to the
 * least loaded eligible member while that narrows the spread.
 */
export function uniformAssign(input: AssignorInput): Map<string, Assignment> {
  const members = ordered(input.members);
  const out = new Map<string, Assignment>();
  const load = new Map<string, number>();
  for (const m of members) {
    out.set(m.memberId, new Map());
    load.set(m.memberId, 0);
  }
  if (members.length === 0) return out;
  const topics = [...input.partitions.keys()].sort();
  // Fair share per member: the total of partitions it could take, split among all candidates.
  let total = 0;
  for (const t of topics) if (members.some((m) => m.topics.has(t))) total += input.partitions.get(t)!;
  const quota = Math.ceil(total / members.length);

  const taken = new Set<string>();
  // 1. Stickiness: keep previous partitions within quota.
  for (const m of members) {
    const prev = input.previous.get(m.memberId);
    if (!prev) continue;
    for (const [topic, parts] of [...prev.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const n = input.partitions.get(topic);
      if (n === undefined || !m.topics.has(topic)) continue;
      for (const p of [...parts].sort((a, b) => a - b)) {
        const key = `${topic}:${p}`;
        if (p >= n || taken.has(key) || load.get(m.memberId)! >= quota) continue;
        taken.add(key);
        add(out.get(m.memberId)!, topic, p);
        load.set(m.memberId, load.get(m.memberId)! + 1);
      }
    }
  }
  // 2. The rest to the least loaded eligible member.
  for (const topic of topics) {
    const eligible = members.filter((m) => m.topics.has(topic));
    if (eligible.length === 0) continue;
    const n = input.partitions.get(topic)!;
    for (let p = 0; p < n; p++) {
      if (taken.has(`${topic}:${p}`)) continue;
      let best = eligible[0]!;
      for (const m of eligible) if (load.get(m.memberId)! < load.get(best.memberId)!) best = m;
      add(out.get(best.memberId)!, topic, p);
      load.set(best.memberId, load.get(best.memberId)! + 1);
    }
  }
  // 3. Balance: move one partition at a time from the most to the least loaded member that can
  // take it, while the difference is more than one. Bounded by the number of partitions.
  for (let moves = 0; moves <= total; moves++) {
    let moved = false;
    const byLoad = [...members].sort((a, b) => load.get(b.memberId)! - load.get(a.memberId)! || (a.memberId < b.memberId ? -1 : 1));
    outer: for (const heavy of byLoad) {
      for (const light of [...byLoad].reverse()) {
        if (load.get(heavy.memberId)! - load.get(light.memberId)! <= 1) break;
        const from = out.get(heavy.memberId)!;
        for (const [topic, parts] of from) {
          if (!light.topics.has(topic) || parts.size === 0) continue;
          const p = Math.max(...parts);
          parts.delete(p);
          if (parts.size === 0) from.delete(topic);
          add(out.get(light.memberId)!, topic, p);
          load.set(heavy.memberId, load.get(heavy.memberId)! - 1);
          load.set(light.memberId, load.get(light.memberId)! + 1);
          moved = true;
          break outer;
        }
      }
    }
    if (!moved) break;
  }
  return out;
}

export function assignmentSize(a: Assignment): number {
  return size(a);
}

/** group.consumer.assignors as assignor names, in order (Kafka's class names accepted too). */
export function consumerAssignors(value: string): AssignorName[] {
  const out: AssignorName[] = [];
  for (const raw of value.split(',')) {
    const v = raw.trim();
    const name: AssignorName | null = v === 'uniform' || v.endsWith('.UniformAssignor') ? 'uniform' : v === 'range' || v.endsWith('.RangeAssignor') ? 'range' : null;
    if (name !== null && !out.includes(name)) out.push(name);
  }
  return out.length > 0 ? out : ['uniform', 'range'];
}
