/**
 * Producer ids for InitProducerId: taken one at a time from blocks that the controller records in
 * the metadata log (as Kafka's AllocateProducerIds does), so no id is ever handed out twice, even
 * across restarts; the unused rest of a block is simply skipped after a restart.
 */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;

  constructor(private readonly allocateBlock: (size: number) => { start: bigint; end: bigint }) {}

  generate(): bigint {
    if (this.next >= this.end) {
      const block = this.allocateBlock(PRODUCER_ID_BLOCK_SIZE);
      this.next = block.start;
      this.end = block.end;
    }
    return this.next++;
  }
}
