import { ProjectedKey } from './api-key.document';

/** Taken before a MongoDB read: each owned partition's generation at that moment. */
export type CacheTicket = ReadonlyMap<number, number>;

// About 1 KB of heap a key: a bound on memory, whatever the number of keys.
const DEFAULT_MAX_ENTRIES = 20_000;

/**
 * This process's copy of the keys in the partitions its own projector owns. For those keys the
 * projector is the only writer and updates the copy in the same step as MongoDB, before any
 * waiting request is woken, so the copy is never behind what a request may observe. That spares
 * the hot path its database reads (authentication, ownership checks, read-back).
 *
 * Keys of partitions owned elsewhere are never cached: another instance applies their events.
 * A document read from MongoDB by a request is cached only if no batch of its partition was
 * applied between the read and the offer (the ticket's generation), so a slow read can never
 * overwrite newer state.
 */
export class KeyStateCache {
  private readonly byId = new Map<number, ProjectedKey>();
  private readonly idByHash = new Map<string, number>();
  private readonly generations = new Map<number, number>();
  private owned = new Set<number>();

  constructor(
    private readonly partitionOf: (keyId: number) => number,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** On every (re)assignment: forget everything, since other members may have written meanwhile. */
  setOwned(partitions: readonly number[]): void {
    this.byId.clear();
    this.idByHash.clear();
    for (const p of new Set([...this.owned, ...partitions])) this.bump(p);
    this.owned = new Set(partitions);
  }

  get(keyId: number): ProjectedKey | undefined {
    return this.owned.has(this.partitionOf(keyId)) ? this.byId.get(keyId) : undefined;
  }

  getByHash(keyHash: string): ProjectedKey | undefined {
    const id = this.idByHash.get(keyHash);
    return id === undefined ? undefined : this.get(id);
  }

  /** Take before reading MongoDB; hand to offer() with what the read returned. */
  ticket(): CacheTicket {
    return new Map(this.generations);
  }

  /**
   * A request's read from MongoDB: kept only if its partition is projected here, no batch of that
   * partition was applied since the ticket was taken, and nothing is cached for the key yet.
   */
  offer(ticket: CacheTicket, doc: ProjectedKey): void {
    const partition = this.partitionOf(doc.id);
    if (!this.owned.has(partition) || ticket.get(partition) !== this.generations.get(partition)) return;
    if (this.byId.has(doc.id)) return;
    this.store(doc);
  }

  /** The projector's word after a batch is durable: these are the partition's current states. */
  applied(partition: number, docs: Iterable<ProjectedKey>): void {
    this.bump(partition);
    if (!this.owned.has(partition)) return;
    for (const doc of docs) this.store(doc);
  }

  private store(doc: ProjectedKey): void {
    const before = this.byId.get(doc.id);
    if (before) this.forgetHashes(before);
    this.byId.delete(doc.id); // re-insert to keep the Map in least-recently-stored order
    this.byId.set(doc.id, doc);
    // A rolled key is found by its previous secret too, while that may still work.
    for (const hash of hashesOf(doc)) this.idByHash.set(hash, doc.id);
    while (this.byId.size > this.maxEntries) {
      const [oldest] = this.byId.values();
      this.byId.delete(oldest.id);
      this.forgetHashes(oldest);
    }
  }

  private forgetHashes(doc: ProjectedKey): void {
    for (const hash of hashesOf(doc)) this.idByHash.delete(hash);
  }

  private bump(partition: number): void {
    this.generations.set(partition, (this.generations.get(partition) ?? 0) + 1);
  }
}

const hashesOf = (doc: ProjectedKey): string[] =>
  doc.previous_key_hash === null ? [doc.key_hash] : [doc.key_hash, doc.previous_key_hash];
