import { Model } from 'mongoose';
import { IdClaimDocument } from './schemas';

const DUPLICATE_KEY = 11000;
const MAX_ATTEMPTS = 1000;

const isDuplicateKey = (error: unknown) => (error as { code?: number })?.code === DUPLICATE_KEY;

/**
 * Hands out increasing integer ids that are unique across processes and servers. Each id is
 * claimed by inserting `{_id: n}`: the unique _id makes exactly one claimer win, on MongoDB and
 * on FerretDB alike, where a `$inc` counter is a non-atomic read-modify-write.
 */
export class IdAllocator {
  private next = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly claims: Model<IdClaimDocument>,
    /** The largest id already in use elsewhere (e.g. in the read model after a replay). */
    private readonly floor: () => Promise<number>,
  ) {}

  /** Serialised within the process, so concurrent callers here never race for the same id. */
  allocate(): Promise<number> {
    const result = this.chain.then(() => this.claim());
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async claim(): Promise<number> {
    if (this.next === 0) this.next = (await this.highestKnown()) + 1;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const candidate = this.next++;
      try {
        await this.claims.create({ _id: candidate });
        return candidate;
      } catch (error) {
        if (!isDuplicateKey(error)) {
          this.next = 0; // re-read after an outage rather than trusting the cursor
          throw error;
        }
        // Another process took it: jump past everything claimed so far, then try again.
        this.next = Math.max(this.next, (await this.highestKnown()) + 1);
      }
    }
    throw new Error('could not claim an id');
  }

  private async highestKnown(): Promise<number> {
    const [last, floor] = await Promise.all([
      this.claims.findOne({}, { _id: 1 }).sort({ _id: -1 }).lean<IdClaimDocument>().exec(),
      this.floor(),
    ]);
    return Math.max(last?._id ?? 0, floor);
  }
}
