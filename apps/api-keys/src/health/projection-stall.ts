/** How far one partition of the events topic is written and projected. */
export interface PartitionProgress {
  readonly partition: number;
  /** The offset the partition's next record will get (its log end). */
  readonly end: number;
  /** The last offset the projection has applied (its checkpoint), -1 when none. */
  readonly applied: number;
}

export interface StalledPartition extends PartitionProgress {
  /** How long its checkpoint has been seen standing still behind the log end. */
  readonly forMs: number;
}

/**
 * Tells, from successive looks at the log ends and the checkpoints, which partitions nobody is
 * projecting: records wait past the checkpoint, and the checkpoint has not moved for `boundMs`.
 * A partition that is behind but moving is busy, not stalled. The clock starts at the first look
 * that sees the partition behind at that checkpoint, so a stall shows from the second look on.
 */
export class ProjectionStallJudge {
  private readonly behindSince = new Map<number, { applied: number; since: number }>();

  constructor(
    private readonly boundMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  judge(progress: readonly PartitionProgress[]): StalledPartition[] {
    const at = this.now();
    const stalled: StalledPartition[] = [];
    const looked = new Set<number>();
    for (const p of progress) {
      looked.add(p.partition);
      if (p.applied >= p.end - 1) {
        this.behindSince.delete(p.partition);
        continue;
      }
      const seen = this.behindSince.get(p.partition);
      if (!seen || seen.applied !== p.applied) {
        this.behindSince.set(p.partition, { applied: p.applied, since: at });
        continue;
      }
      if (at - seen.since >= this.boundMs) stalled.push({ ...p, forMs: at - seen.since });
    }
    for (const partition of [...this.behindSince.keys()])
      if (!looked.has(partition)) this.behindSince.delete(partition);
    return stalled;
  }
}
