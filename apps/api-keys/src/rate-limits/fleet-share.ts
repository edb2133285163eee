/**
 * One sync period's admitted requests at one instance, per caller. Objects, not `[caller, count]`
 * pairs: FerretDB stores no nested arrays.
 */
export interface SpentSlice {
  readonly seq: number;
  readonly spent: readonly { readonly caller: string; readonly count: number }[];
}

/**
 * What one instance publishes (`_id`: its consumer-group member id; it alone writes it): the
 * requests it admitted that some peer may not have charged yet, and, per peer, the newest slice of
 * that peer's it has charged, which tells the peer how much of its spending is still unseen.
 */
export interface FleetUsageDocument {
  readonly _id: string;
  readonly slices: readonly SpentSlice[];
  readonly charged: readonly { readonly peer: string; readonly seq: number }[];
}

export interface FleetUsageStore {
  publish(doc: FleetUsageDocument): Promise<void>;
  read(id: string): Promise<FleetUsageDocument | null>;
  remove(id: string): Promise<void>;
}

/** The service's instances: this one's id and every one's (from the consumer group). */
export interface FleetMembership {
  members(): Promise<{ readonly self: string; readonly members: readonly string[] } | null>;
}

/**
 * The part of a budget that the rest of the fleet may not have seen yet, for N instances: each may
 * admit at most UNSEEN_SHARE·limit/(N-1) requests of a caller that some peer has not charged, so
 * together they overshoot a budget by at most UNSEEN_SHARE of it (1.2×), whatever the balancer does.
 */
export const UNSEEN_SHARE = 0.2;
/** Slices kept for a peer that has not charged them yet; beyond this a peer is too slow to wait for. */
const KEPT_SLICES = 8;

/**
 * Makes each instance's budgets hold for the fleet without a store round trip on a request. Every
 * `syncMs` an instance publishes what it admitted since its last sync (one write of its own
 * document, so every document has a single writer: FerretDB has no atomic counters) and reads its
 * peers' documents by `_id`, charging their new admissions to its own buckets (`charge`). Between
 * syncs it admits a caller only while its unseen admissions stay within its share (`mayAdmit`);
 * past it, a request waits for the next sync (`nextSync`). While the store or the group cannot be
 * reached, `mayAdmit` says yes and each instance limits by its own buckets alone.
 */
export class FleetShare {
  private current = new Map<string, number>();
  /** Published slices some peer has not charged yet, oldest first. */
  private slices: { seq: number; spent: Map<string, number> }[] = [];
  private seq = 0;
  private self: string | null = null;
  private peers: readonly string[] = [];
  /** Per peer: the newest slice of its we charged. */
  private readonly charged = new Map<string, number>();
  /** Per peer: the newest slice of ours it charged. */
  private readonly chargedByPeer = new Map<string, number>();
  private lastSuccess = Number.NEGATIVE_INFINITY;
  private published = '';
  private failing = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly store: FleetUsageStore,
    private readonly membership: FleetMembership,
    private readonly charge: (caller: string, count: number) => void,
    private readonly syncMs: number,
    private readonly now: () => number = Date.now,
    /** Told once when syncs start failing (and budgets turn per instance). */
    private readonly warn: (error: unknown) => void = () => undefined,
  ) {}

  /** Whether the fleet's view is current (else every instance limits on its own). */
  get shared(): boolean {
    return this.self !== null && this.now() - this.lastSuccess <= 4 * this.syncMs;
  }

  /** Whether one more request of `caller`, on a budget of `limit`, stays within this instance's unseen share. */
  mayAdmit(caller: string, limit: number): boolean {
    if (!this.shared || this.peers.length === 0) return true;
    const share = Math.max(1, Math.floor((UNSEEN_SHARE * limit) / this.peers.length));
    return this.unseen(caller) < share;
  }

  /** Records an admitted request of `caller`, to be published at the next sync. */
  admitted(caller: string): void {
    this.current.set(caller, (this.current.get(caller) ?? 0) + 1);
  }

  /** Resolves after the next sync (or after two periods, should it hang). */
  nextSync(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2 * this.syncMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * One round: who is in the fleet (one small request to the group coordinator, so a new instance
   * is charged for within a period), read the peers, publish. Never throws.
   */
  async sync(): Promise<void> {
    try {
      await this.refreshMembership();
      if (this.self === null) return;
      for (const peer of this.peers) this.absorb(peer, await this.store.read(peer));
      // After the reads, so what they charged is acknowledged in the same round.
      await this.publish(this.self);
      this.lastSuccess = this.now();
      this.failing = false;
    } catch (error) {
      // The store or the coordinator is unreachable: `shared` turns false in a few periods, and
      // each instance limits on its own until a sync works again.
      if (!this.failing) this.warn(error);
      this.failing = true;
    } finally {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Removes this instance's document (on shutdown: its peers stop waiting for it at once). */
  async leave(): Promise<void> {
    if (this.self) await this.store.remove(this.self).catch(() => undefined);
  }

  private unseen(caller: string): number {
    let count = this.current.get(caller) ?? 0;
    const seenByAll = Math.min(...this.peers.map((peer) => this.chargedByPeer.get(peer) ?? 0));
    for (const slice of this.slices) if (slice.seq > seenByAll) count += slice.spent.get(caller) ?? 0;
    return count;
  }

  private async refreshMembership(): Promise<void> {
    const group = await this.membership.members();
    if (!group) return;
    if (this.self !== null && this.self !== group.self) {
      // Rejoined under a new id: the old document is nobody's now.
      await this.store.remove(this.self).catch(() => undefined);
      this.published = '';
    }
    this.self = group.self;
    this.peers = group.members.filter((member) => member !== group.self);
    for (const map of [this.charged, this.chargedByPeer]) {
      for (const peer of map.keys()) if (!this.peers.includes(peer)) map.delete(peer);
    }
  }

  private async publish(self: string): Promise<void> {
    if (this.current.size > 0) {
      this.slices.push({ seq: ++this.seq, spent: this.current });
      this.current = new Map();
    }
    const seenByAll = Math.min(...this.peers.map((peer) => this.chargedByPeer.get(peer) ?? 0));
    this.slices = this.slices.filter((slice) => slice.seq > seenByAll).slice(-KEPT_SLICES);
    const doc: FleetUsageDocument = {
      _id: self,
      slices: this.slices.map((slice) => ({
        seq: slice.seq,
        spent: [...slice.spent].map(([caller, count]) => ({ caller, count })),
      })),
      charged: [...this.charged].map(([peer, seq]) => ({ peer, seq })),
    };
    // Written only when it says something new: an idle fleet writes nothing.
    const text = JSON.stringify(doc);
    if (text === this.published) return;
    await this.store.publish(doc);
    this.published = text;
  }

  private absorb(peer: string, doc: FleetUsageDocument | null): void {
    if (!doc) return;
    const before = this.charged.get(peer) ?? 0;
    let newest = before;
    for (const slice of doc.slices) {
      if (slice.seq <= before) continue;
      for (const { caller, count } of slice.spent) this.charge(caller, count);
      newest = Math.max(newest, slice.seq);
    }
    this.charged.set(peer, newest);
    this.chargedByPeer.set(peer, doc.charged.find((entry) => entry.peer === this.self)?.seq ?? 0);
  }
}
