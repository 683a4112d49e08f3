/**
 * Producer ids for InitProducerId: taken one at a time from blocks that the controller records in
 * the metadata log (as Kafka's AllocateProducerIds does), so no id is ever handed out twice, even
 * across restarts; the unused rest of a block is simply skipped after a restart.
 *
 * On a controller the block is allocated in place (synchronously). A broker-only node asks its
 * controller (a Promise): it keeps the next block asked for once half of the current one is used,
 * and when ids run out before it arrives, `generate` throws LogStorageError, which InitProducerId
 * answers with COORDINATOR_LOAD_IN_PROGRESS (retriable), as Kafka's RPC producer id manager does.
 */
import { LogStorageError } from '../log/partition-log.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

type Block = { start: bigint; end: bigint };

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  private nextBlock: Block | null = null;
  private asking: Promise<void> | null = null;

  constructor(private readonly allocateBlock: (size: number) => Block | Promise<Block>) {}

  generate(): bigint {
    if (this.next >= this.end) {
      const block = this.nextBlock ?? this.ask();
      if (block === null) throw new LogStorageError('no producer ids yet: the controller is allocating a block; retry');
      this.nextBlock = null;
      this.next = block.start;
      this.end = block.end;
    }
    if (this.end - this.next < BigInt(PRODUCER_ID_BLOCK_SIZE / 2) && this.nextBlock === null) this.prefetch();
    return this.next++;
  }

  /** Asks for the next block now when blocks come from a controller elsewhere. */
  prefetch(): void {
    if (this.nextBlock === null) this.ask();
  }

  /** A block now (allocated in place), or null while one is asked for elsewhere. */
  private ask(): Block | null {
    if (this.asking) return null;
    const got = this.allocateBlock(PRODUCER_ID_BLOCK_SIZE);
    if (!(got instanceof Promise)) return got;
    this.asking = got
      .then((b) => {
        this.nextBlock = b;
      })
      .catch(() => {})
      .finally(() => (this.asking = null));
    return null;
  }
}
