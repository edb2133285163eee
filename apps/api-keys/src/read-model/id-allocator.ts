import { Model } from 'mongoose';
import { IdBlockDocument } from './schemas';

const DUPLICATE_KEY = 11000;
const isDuplicateKey = (error: unknown) => (error as { code?: number })?.code === DUPLICATE_KEY;

/**
 * Hands out integer ids that are unique across processes and servers, in blocks: a process claims
 * block b (ids b*size+1 … (b+1)*size) by inserting `{_id: "b"}`, which succeeds for exactly one
 * claimer on MongoDB and FerretDB alike (where a `$inc` counter is a non-atomic read-modify-write),
 * and then hands the block's ids out from memory. Ids that a stopped process had not handed out are
 * never used: ids are unique and increasing per process, not dense.
 *
 * The next free block is found by `_id` lookups only: galloping up from the last block known to be
 * taken, then a binary search. Claimed blocks form one run above the floor, so that is O(log n).
 */
export class IdAllocator {
  private next = 0;
  private end = 0;
  private lastBlock = -1;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly blocks: Model<IdBlockDocument>,
    /** The largest id already in use as far as the read model knows (e.g. after a replay). */
    private readonly floor: () => Promise<number>,
    private readonly blockSize: number,
  ) {}

  /** Serialised within the process, so concurrent callers here never race for the same block. */
  allocate(): Promise<number> {
    const result = this.chain.then(() => this.take());
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async take(): Promise<number> {
    if (this.next === 0 || this.next > this.end) {
      const block = await this.claimBlock();
      this.next = block * this.blockSize + 1;
      this.end = (block + 1) * this.blockSize;
    }
    return this.next++;
  }

  private async claimBlock(): Promise<number> {
    // The first block wholly above the floor (block 0 holds ids 1 … size).
    const floor = await this.floor();
    let candidate = Math.max(this.lastBlock + 1, floor === 0 ? 0 : Math.floor((floor - 1) / this.blockSize) + 1);
    for (;;) {
      candidate = await this.firstFreeFrom(candidate);
      try {
        await this.blocks.create({ _id: String(candidate) });
        this.lastBlock = candidate;
        return candidate;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        candidate += 1; // another process took it between our look and our claim
      }
    }
  }

  private async firstFreeFrom(start: number): Promise<number> {
    if (!(await this.taken(start))) return start;
    let step = 1;
    while (await this.taken(start + step)) step *= 2;
    // start + step/2 is taken (or is start), start + step is free: find the first free between.
    let taken = step === 1 ? start : start + step / 2;
    let free = start + step;
    while (free - taken > 1) {
      const middle = Math.floor((taken + free) / 2);
      if (await this.taken(middle)) taken = middle;
      else free = middle;
    }
    return free;
  }

  private async taken(block: number): Promise<boolean> {
    return (await this.blocks.findById(String(block)).lean().exec()) !== null;
  }
}
