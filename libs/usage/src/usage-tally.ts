import { MatchedSecret, SecretCounts, USAGE_CODES, UsageCode } from '@app/contracts';

/** Counters a key takes: code i's current-secret uses at 2i, its previous-secret ones at 2i + 1. */
const COUNTERS = USAGE_CODES.length * 2;
const CODE_SLOT = new Map<UsageCode, number>(USAGE_CODES.map((code, i) => [code, 2 * i]));
const FIRST_CAPACITY = 256;

/** One key's uses in a window, as a usage record states them. */
export interface KeyTally {
  readonly keyId: number;
  /** Epoch ms of the latest use. */
  readonly lastUsedAt: number;
  /** Epoch ms of the latest use that presented the previous secret; -1 when none did. */
  readonly previousLastUsedAt: number;
  /** Only the codes the window saw. */
  readonly verifications: Partial<Record<UsageCode, SecretCounts>>;
}

/**
 * Uses of keys counted in memory, on the request path: one map lookup and a few numbers written
 * per use, nothing allocated but when the arrays grow. Each key counted takes one slot of typed
 * arrays (its id, ten counters, two times: 64 bytes) plus its map entry, so a window in which
 * 100,000 keys were used holds about 8 MB, where an object per key took several times that. Holds
 * at most one slot per key used since the window began (only keys that exist are counted), so its
 * size is bounded by the live keys, not by traffic.
 */
export class UsageTally {
  private readonly slots = new Map<number, number>();
  private used = 0;
  private closed = false;
  private ids = new Float64Array(FIRST_CAPACITY);
  private counts = new Uint32Array(FIRST_CAPACITY * COUNTERS);
  private lastUsed = new Float64Array(FIRST_CAPACITY);
  private previousUsed = new Float64Array(FIRST_CAPACITY);

  /** Keys counted. */
  get size(): number {
    return this.used;
  }

  count(keyId: number, code: UsageCode, matched: MatchedSecret, at: number): void {
    const counter = CODE_SLOT.get(code);
    if (counter === undefined || this.closed) return;
    let slot = this.slots.get(keyId);
    if (slot === undefined) {
      slot = this.used++;
      if (slot === this.ids.length) this.grow();
      this.slots.set(keyId, slot);
      this.ids[slot] = keyId;
      this.lastUsed[slot] = at;
      this.previousUsed[slot] = -1;
    }
    this.counts[slot * COUNTERS + (matched === 'current' ? counter : counter + 1)] += 1;
    if (at > this.lastUsed[slot]) this.lastUsed[slot] = at;
    if (matched === 'previous' && at > this.previousUsed[slot]) this.previousUsed[slot] = at;
  }

  /**
   * Ends the window: counts nothing more, and lets go of the map from key to slot (what is left is
   * read by index, to be published). Returns this tally.
   */
  close(): this {
    this.closed = true;
    this.slots.clear();
    return this;
  }

  /** The id of the key counted `index`-th. */
  keyIdAt(index: number): number {
    return this.ids[index];
  }

  /** The key counted `index`-th (0 up to size - 1: in the order they were first used). */
  at(index: number): KeyTally {
    const verifications: Partial<Record<UsageCode, SecretCounts>> = {};
    const base = index * COUNTERS;
    USAGE_CODES.forEach((code, i) => {
      const current = this.counts[base + 2 * i];
      const previous = this.counts[base + 2 * i + 1];
      if (current + previous > 0) verifications[code] = { current, previous };
    });
    return {
      keyId: this.ids[index],
      lastUsedAt: this.lastUsed[index],
      previousLastUsedAt: this.previousUsed[index],
      verifications,
    };
  }

  private grow(): void {
    const capacity = this.ids.length * 2;
    const larger = <T extends Float64Array | Uint32Array>(array: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per);
      next.set(array);
      return next;
    };
    this.ids = larger(this.ids, (n) => new Float64Array(n), 1);
    this.counts = larger(this.counts, (n) => new Uint32Array(n), COUNTERS);
    this.lastUsed = larger(this.lastUsed, (n) => new Float64Array(n), 1);
    this.previousUsed = larger(this.previousUsed, (n) => new Float64Array(n), 1);
  }
}
