/**
 * Where the state topic stood after the projector published a batch of an events partition: the
 * receipts a write answers with (`X-State-Position`) and the position `GET .../propagation` judges
 * verifiers by are read from these.
 *
 * Why marks, and why on the checkpoint. A state record's offset is known only once Kafka
 * acknowledges it, after the key's documents are written (or beside them, when a batch without
 * creations publishes early), so it cannot go on the key's document without a second write per
 * key, which the projector's rates cannot afford. The partition's checkpoint is written once per
 * batch, after the batch's states are acknowledged: each batch adds one mark to it (one field,
 * `state_marks`, one string). A mark says "every event through events offset `through` is in a
 * state record at or before `offsets[p]` of state partition p" (cumulative over batches), so for a
 * key whose event sits at events offset E, the first mark with `through >= E` gives a state position
 * at or after the key's own record: a verifier that applied it has applied the key's record (or a
 * later one of the same key). It is exact to the batch (the batch's last record in that partition),
 * the same whichever instance answers, and the same again for an idempotent replay, which finds
 * its first attempt's events offset in its idempotency record.
 *
 * Bounded: the last RECENT_MARKS batches, then anchors at least ANCHOR_SPACING_MS apart, at most
 * ANCHOR_MARKS of them. An event older than every mark gets the oldest anchor: later than its own
 * record (still a valid receipt), and old enough (about ANCHOR_MARKS seconds under steady writes)
 * that running verifiers have applied it. A crash between publishing and the checkpoint
 * republishes the batch on redelivery at new offsets; the mark then names those, which are later.
 */
export interface StateMark {
  /** The events-topic offset of the batch's last record. */
  readonly through: number;
  /** When the batch was published (ms since the epoch, this projector's clock): for thinning only. */
  readonly at: number;
  /** Per state partition, the offset of the last state record published there by this batch or before. */
  readonly offsets: ReadonlyMap<number, number>;
}

export const RECENT_MARKS = 16;
export const ANCHOR_MARKS = 16;
export const ANCHOR_SPACING_MS = 1000;

/** The marks after a batch through `through` published records at `published` (unchanged when it published none). */
export function nextMarks(
  marks: readonly StateMark[],
  through: number,
  at: number,
  published: Iterable<{ readonly partition: number; readonly offset: number }>,
): StateMark[] {
  const last = marks[marks.length - 1];
  const offsets = new Map(last?.offsets ?? []);
  let any = false;
  for (const { partition, offset } of published) {
    any = true;
    offsets.set(partition, Math.max(offset, offsets.get(partition) ?? -1));
  }
  if (!any) return [...marks];
  return thin([...marks.filter((m) => m.through < through), { through, at, offsets }]);
}

/**
 * The newest RECENT_MARKS; of the older ones, the anchors: a mark that ages out of the recent ones
 * stays only if it is ANCHOR_SPACING_MS newer than the newest anchor, and only the newest
 * ANCHOR_MARKS anchors stay. Incremental: anchors already kept are spaced, so they stay put.
 */
function thin(marks: readonly StateMark[]): StateMark[] {
  const recentFrom = Math.max(0, marks.length - RECENT_MARKS);
  const anchors: StateMark[] = [];
  for (const mark of marks.slice(0, recentFrom)) {
    const newest = anchors[anchors.length - 1];
    if (!newest || mark.at - newest.at >= ANCHOR_SPACING_MS) anchors.push(mark);
  }
  return [...anchors.slice(-ANCHOR_MARKS), ...marks.slice(recentFrom)];
}

/**
 * A state position at or after the record of the key whose event is at `eventsOffset`, in state
 * partition `statePartition`; null when no mark covers it (nothing published since marks began).
 */
export function stateOffsetAt(
  marks: readonly StateMark[],
  eventsOffset: number,
  statePartition: number,
): number | null {
  const mark = marks.find((m) => m.through >= eventsOffset);
  return mark?.offsets.get(statePartition) ?? null;
}

/** As the checkpoint stores them: one text, `<through>@<at>=<p>:<offset>,... ...` (the store pays per field and item). */
export function encodeMarks(marks: readonly StateMark[]): string {
  return marks
    .map((m) => `${m.through}@${m.at}=${[...m.offsets].map(([p, offset]) => `${p}:${offset}`).join(',')}`)
    .join(' ');
}

const MARK = /^(\d+)@(\d+)=(\d+:\d+(?:,\d+:\d+)*)$/;

/** The marks a checkpoint holds ([] for none, or for a text it cannot read: receipts are then omitted). */
export function decodeMarks(text: string | undefined): StateMark[] {
  if (!text) return [];
  const marks: StateMark[] = [];
  for (const part of text.split(' ')) {
    const match = MARK.exec(part);
    if (!match) return [];
    const offsets = new Map(match[3].split(',').map((pair) => pair.split(':').map(Number) as [number, number]));
    marks.push({ through: Number(match[1]), at: Number(match[2]), offsets });
  }
  return marks;
}
