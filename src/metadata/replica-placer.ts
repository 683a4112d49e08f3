/**
 * Where a new partition's replicas go, in the role of Kafka's StripedReplicaPlacer: the same
 * algorithm, so a Sluice cluster spreads leaders and replicas as Kafka's does.
 *
 * Brokers are grouped by rack (all brokers without a rack form one rack, so a rack-unaware cluster
 * is one list). Each partition's first replica (its leader) is the next unfenced broker of the next
 * rack, striding one place further every partition; the other replicas continue from the next racks,
 * unfenced brokers before fenced ones. After as many partitions as there are unfenced brokers the
 * racks and their brokers are shuffled, so large topics do not repeat one pattern. Brokers in
 * controlled shutdown are not offered (the caller leaves them out).
 *
 * The random source is injected: Kafka seeds it per controller; tests pass a fixed sequence.
 */

export interface UsableBroker {
  id: number;
  rack: string | null;
  fenced: boolean;
}

/** Thrown for a placement that cannot be made; the message is Kafka's. */
export class InvalidReplicationFactorError extends Error {}

/** An integer in [0, bound). */
export type RandomInt = (bound: number) => number;

export const mathRandomInt: RandomInt = (bound) => Math.floor(Math.random() * bound);

class BrokerList {
  readonly brokers: number[] = [];
  private index = 0;
  private offset = 0;
  private epoch = 0;

  initialize(random: RandomInt): void {
    if (this.brokers.length === 0) return;
    this.brokers.sort((a, b) => a - b);
    this.offset = random(this.brokers.length);
  }

  shuffle(random: RandomInt): void {
    shuffle(this.brokers, random);
  }

  /** The next broker of this iteration epoch, or -1 when every one was handed out. */
  next(epoch: number): number {
    if (this.brokers.length === 0) return -1;
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      this.index = 0;
      this.offset = (this.offset + 1) % this.brokers.length;
    }
    if (this.index >= this.brokers.length) return -1;
    const broker = this.brokers[(this.index + this.offset) % this.brokers.length]!;
    this.index++;
    return broker;
  }
}

class Rack {
  readonly fenced = new BrokerList();
  readonly unfenced = new BrokerList();

  next(epoch: number): number {
    const r = this.unfenced.next(epoch);
    return r >= 0 ? r : this.fenced.next(epoch);
  }
}

/** Java's Collections.shuffle: from the end, swap each element with a random earlier one. */
function shuffle<T>(list: T[], random: RandomInt): void {
  for (let i = list.length; i > 1; i--) {
    const j = random(i);
    const tmp = list[i - 1]!;
    list[i - 1] = list[j]!;
    list[j] = tmp;
  }
}

/** Racks sort by name with the rack-less group first, as Kafka's OptionalStringComparator. */
function compareRackNames(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

class RackList {
  private readonly racks = new Map<string | null, Rack>();
  private readonly rackNames: Array<string | null> = [];
  readonly numTotalBrokers: number;
  readonly numUnfencedBrokers: number;
  private epoch = 0;
  private offset: number;

  constructor(
    private readonly random: RandomInt,
    brokers: readonly UsableBroker[],
  ) {
    let total = 0;
    let unfenced = 0;
    for (const b of brokers) {
      let rack = this.racks.get(b.rack);
      if (!rack) {
        this.rackNames.push(b.rack);
        this.racks.set(b.rack, (rack = new Rack()));
      }
      if (b.fenced) rack.fenced.brokers.push(b.id);
      else {
        rack.unfenced.brokers.push(b.id);
        unfenced++;
      }
      total++;
    }
    for (const rack of this.racks.values()) {
      rack.fenced.initialize(random);
      rack.unfenced.initialize(random);
    }
    this.rackNames.sort(compareRackNames);
    this.numTotalBrokers = total;
    this.numUnfencedBrokers = unfenced;
    this.offset = this.rackNames.length === 0 ? 0 : random(this.rackNames.length);
  }

  place(replicationFactor: number): number[] {
    if (this.epoch === this.numUnfencedBrokers && this.numUnfencedBrokers > 1) {
      shuffle(this.rackNames, this.random);
      for (const rack of this.racks.values()) {
        rack.fenced.shuffle(this.random);
        rack.unfenced.shuffle(this.random);
      }
      this.epoch = 0;
    }
    if (this.offset === this.rackNames.length) this.offset = 0;
    const brokers: number[] = [];
    // The leader: the first unfenced broker found from the current rack on.
    let firstRackIndex = this.offset;
    for (;;) {
      const result = this.racks.get(this.rackNames[firstRackIndex]!)!.unfenced.next(this.epoch);
      if (result >= 0) {
        brokers.push(result);
        break;
      }
      firstRackIndex = (firstRackIndex + 1) % this.rackNames.length;
    }
    // The followers: one from each rack in turn, skipping the leader's rack the first time round.
    let rackIndex = this.offset;
    for (let replica = 1; replica < replicationFactor; replica++) {
      let result = -1;
      do {
        if (rackIndex === firstRackIndex) firstRackIndex = -1;
        else result = this.racks.get(this.rackNames[rackIndex]!)!.next(this.epoch);
        rackIndex = (rackIndex + 1) % this.rackNames.length;
      } while (result < 0);
      brokers.push(result);
    }
    this.epoch++;
    this.offset++;
    return brokers;
  }
}

/**
 * Replicas for `numPartitions` new partitions of `replicationFactor` replicas each. Throws
 * InvalidReplicationFactorError with Kafka's message when it cannot be done.
 */
export function placeReplicas(brokers: readonly UsableBroker[], numPartitions: number, replicationFactor: number, random: RandomInt = mathRandomInt): number[][] {
  const racks = new RackList(random, brokers);
  if (replicationFactor <= 0) {
    throw new InvalidReplicationFactorError(`Invalid replication factor ${replicationFactor}: the replication factor must be positive.`);
  }
  if (racks.numUnfencedBrokers === 0) throw new InvalidReplicationFactorError('All brokers are currently fenced.');
  if (replicationFactor > racks.numTotalBrokers) {
    throw new InvalidReplicationFactorError(
      `The target replication factor of ${replicationFactor} cannot be reached because only ${racks.numTotalBrokers} broker(s) are registered.`,
    );
  }
  const placements: number[][] = [];
  for (let p = 0; p < numPartitions; p++) placements.push(racks.place(replicationFactor));
  return placements;
}
