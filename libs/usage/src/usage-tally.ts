import { MatchedSecret, SecretCounts, USAGE_CODES, UsageCode } from '@app/contracts';

/** One key's uses since the last drain: a count per code and secret, and the latest times. */
export interface KeyTally {
  /** `USAGE_CODES.length * 2` counts: code i's current-secret uses at 2i, previous-secret ones at 2i + 1. */
  readonly counts: number[];
  /** Epoch ms of the latest use. */
  lastUsedAt: number;
  /** Epoch ms of the latest use that presented the previous secret; -1 when none did. */
  previousLastUsedAt: number;
}

const CODE_SLOT = new Map<UsageCode, number>(USAGE_CODES.map((code, i) => [code, 2 * i]));

/** The counts of a tally by code, only the codes it saw. */
export function countsByCode(tally: KeyTally): Partial<Record<UsageCode, SecretCounts>> {
  const out: Partial<Record<UsageCode, SecretCounts>> = {};
  USAGE_CODES.forEach((code, i) => {
    const [current, previous] = [tally.counts[2 * i], tally.counts[2 * i + 1]];
    if (current + previous > 0) out[code] = { current, previous };
  });
  return out;
}

/**
 * Uses of keys counted in memory, on the request path: one map lookup and two numbers written per
 * use, nothing awaited. Holds at most one entry per key used since the last drain (only keys that
 * exist are counted), so its size is bounded by the live keys, not by traffic.
 */
export class UsageTally {
  private tallies = new Map<number, KeyTally>();

  /** Keys counted since the last drain. */
  get size(): number {
    return this.tallies.size;
  }

  count(keyId: number, code: UsageCode, matched: MatchedSecret, at: number): void {
    let tally = this.tallies.get(keyId);
    if (tally === undefined) {
      tally = { counts: new Array<number>(USAGE_CODES.length * 2).fill(0), lastUsedAt: at, previousLastUsedAt: -1 };
      this.tallies.set(keyId, tally);
    }
    const slot = CODE_SLOT.get(code);
    if (slot === undefined) return;
    tally.counts[matched === 'current' ? slot : slot + 1] += 1;
    if (at > tally.lastUsedAt) tally.lastUsedAt = at;
    if (matched === 'previous' && at > tally.previousLastUsedAt) tally.previousLastUsedAt = at;
  }

  /** Hands over everything counted so far and starts afresh (the request path never waits for it). */
  drain(): Map<number, KeyTally> {
    const drained = this.tallies;
    this.tallies = new Map();
    return drained;
  }
}
