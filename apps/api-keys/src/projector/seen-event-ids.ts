/**
 * How many event ids the projector keeps in memory, over all its partitions. An id costs about
 * 100 bytes of heap (a 36-character string and its map entry, measured on Node 26), so this is
 * about 20 MB: beside the key-state cache (20,000 keys, about 22 MB) and a batch's short-lived
 * objects, well inside the service's 192 MB old space (docs/benchmarks.md). It covers the
 * rebuild of a log of 200,000 events without a read; a longer log reads the rest, as before.
 */
export const SEEN_EVENT_IDS_LIMIT = 200_000;

/** Where the first record carrying each event id sits in its partition (its offset). */
export type EventIdOffsets = ReadonlyMap<string, number>;

/**
 * The event ids of every record this projector folded in each partition it took at the start of
 * the log, with the offset of the first record carrying each: all the records before the next
 * batch, so an id not here was carried by none of them, and rule 3 ("Duplicate", docs/events.md)
 * needs no read of `event_outcomes`. A partition taken midway (a checkpoint stored already, or a
 * first record past offset 0) has no entry: what came before passed through another process, and
 * only the store knows it.
 *
 * Bounded: a partition whose ids would take the total past the limit is dropped, and reads its
 * outcomes from then on. Each partition's map is handed out at the start of a batch and extended
 * after the batch is durable, only if it is still the one in force: a batch that fails adds
 * nothing, and one that finishes after its partition was dropped or reassigned cannot bring back
 * what was forgotten.
 */
export class SeenEventIds {
  private readonly partitions = new Map<number, Map<string, number>>();
  private size = 0;

  constructor(private readonly limit = SEEN_EVENT_IDS_LIMIT) {}

  /** Ids held over all partitions. */
  get count(): number {
    return this.size;
  }

  /** This projector takes the partition at the start of the log: nothing of it has been folded yet. */
  fromStart(partition: number): void {
    this.drop(partition);
    this.partitions.set(partition, new Map());
  }

  /** The partition's ids when they are all of its records so far; null when only the store knows. */
  of(partition: number): EventIdOffsets | null {
    return this.partitions.get(partition) ?? null;
  }

  /**
   * Adds the ids of a durable batch's records (those not set aside as malformed), in log order, to
   * `ids` if it is still the partition's map; the first record carrying an id keeps its offset.
   */
  add(partition: number, ids: EventIdOffsets | null, records: Iterable<{ eventId: string; offset: number }>): void {
    const current = this.partitions.get(partition);
    if (!current || current !== ids) return;
    for (const { eventId, offset } of records) {
      if (current.has(eventId)) continue;
      if (this.size >= this.limit) {
        this.drop(partition);
        return;
      }
      current.set(eventId, offset);
      this.size += 1;
    }
  }

  /** Forgets a partition: from now on its outcomes are read. */
  drop(partition: number): void {
    const ids = this.partitions.get(partition);
    if (!ids) return;
    this.size -= ids.size;
    this.partitions.delete(partition);
  }

  /** Forgets every partition (a rebalance: another member may have folded them meanwhile). */
  clear(): void {
    this.partitions.clear();
    this.size = 0;
  }
}
