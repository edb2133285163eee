import { MatchedSecret, SecretCounts, USAGE_CODES, UsageCode } from '@app/contracts';

/** Counters of a key's less common uses: code i's current-secret uses at 2i, its previous-secret ones at 2i + 1. */
const COUNTERS = USAGE_CODES.length * 2;
const CODE_SLOT = new Map<UsageCode, number>(USAGE_CODES.map((code, i) => [code, 2 * i]));
const VALID_CURRENT = CODE_SLOT.get('VALID') ?? 0;
const FIRST_CAPACITY = 256;
/**
 * Times are kept as milliseconds after an origin a day before the tally's first use (4 bytes: a
 * window of up to 49 days, a clock stepping back up to a day); 0 means "none".
 */
const ORIGIN_BEFORE_FIRST_USE_MS = 24 * 3600 * 1000;

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
 * Uses of keys counted in memory, on the request path: a map lookup and a few numbers written per
 * use, nothing allocated but when the arrays grow. A key counted takes one slot of typed arrays: its
 * id, its VALID uses of the current secret (nearly every use) and two times, 20 bytes, plus its map
 * entry; its other uses (another code, the previous secret) get ten counters of their own only when
 * they happen. A window in which 100,000 keys were used holds about 4 MB (an object per key took
 * several times that, and shows in the verifier's RSS under traffic). Holds at most one slot per key
 * used since the window began (only keys that exist are counted), so its size is bounded by the live
 * keys, not by traffic.
 */
export class UsageTally {
  private readonly slots = new Map<number, number>();
  private used = 0;
  private closed = false;
  private origin = 0;
  private ids = new Float64Array(FIRST_CAPACITY);
  private validCurrent = new Uint32Array(FIRST_CAPACITY);
  private lastUsed = new Uint32Array(FIRST_CAPACITY);
  private previousUsed = new Uint32Array(FIRST_CAPACITY);
  /** By slot: the counters of keys with any use other than VALID with the current secret. */
  private readonly others = new Map<number, Uint32Array>();

  /** Keys counted. */
  get size(): number {
    return this.used;
  }

  count(keyId: number, code: UsageCode, matched: MatchedSecret, at: number): void {
    const counter = CODE_SLOT.get(code);
    if (counter === undefined || this.closed) return;
    if (this.used === 0) this.origin = at - ORIGIN_BEFORE_FIRST_USE_MS;
    const time = Math.min(Math.max(Math.round(at - this.origin), 1), 0xffffffff);
    let slot = this.slots.get(keyId);
    if (slot === undefined) {
      slot = this.used++;
      if (slot === this.ids.length) this.grow();
      this.slots.set(keyId, slot);
      this.ids[slot] = keyId;
    }
    const index = matched === 'current' ? counter : counter + 1;
    if (index === VALID_CURRENT) this.validCurrent[slot] += 1;
    else {
      let counters = this.others.get(slot);
      if (!counters) this.others.set(slot, (counters = new Uint32Array(COUNTERS)));
      counters[index] += 1;
    }
    if (time > this.lastUsed[slot]) this.lastUsed[slot] = time;
    if (matched === 'previous' && time > this.previousUsed[slot]) this.previousUsed[slot] = time;
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
    const counters = this.others.get(index);
    USAGE_CODES.forEach((code, i) => {
      const current = (counters?.[2 * i] ?? 0) + (2 * i === VALID_CURRENT ? this.validCurrent[index] : 0);
      const previous = counters?.[2 * i + 1] ?? 0;
      if (current + previous > 0) verifications[code] = { current, previous };
    });
    const previous = this.previousUsed[index];
    return {
      keyId: this.ids[index],
      lastUsedAt: this.origin + this.lastUsed[index],
      previousLastUsedAt: previous === 0 ? -1 : this.origin + previous,
      verifications,
    };
  }

  private grow(): void {
    const capacity = this.ids.length * 2;
    const ids = new Float64Array(capacity);
    ids.set(this.ids);
    this.ids = ids;
    const larger = (array: Uint32Array) => {
      const next = new Uint32Array(capacity);
      next.set(array);
      return next;
    };
    this.validCurrent = larger(this.validCurrent);
    this.lastUsed = larger(this.lastUsed);
    this.previousUsed = larger(this.previousUsed);
  }
}
