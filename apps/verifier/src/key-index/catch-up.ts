/** Where one partition's records were when the reader started: from `low` to `high` - 1. */
export interface StartBounds {
  readonly low: number;
  readonly high: number;
}

/**
 * The partitions not yet read up to where they ended at start, each with its applied offset and
 * the offset to reach; none: caught up. A partition with nothing in it (low = high) has nothing
 * to reach. The last record of a partition always stays (Kafka never cleans the active segment),
 * so reaching high - 1 is always possible.
 */
export function partitionsBehind(
  targets: ReadonlyMap<number, StartBounds>,
  appliedOffset: (partition: number) => number,
): { partition: number; applied: number; target: number }[] {
  return [...targets]
    .filter(([partition, { low, high }]) => high > low && appliedOffset(partition) < high - 1)
    .map(([partition, { high }]) => ({ partition, applied: appliedOffset(partition), target: high - 1 }));
}
