import { Partitioners, PartitionMetadata } from 'kafkajs';

const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition a keyed record lands on: the Java client's murmur2 rule, so other producers
 * of the same topic agree. We choose it ourselves to know each record's offset from the ack.
 */
export function partitionFor(topic: string, key: string, partitionCount: number): number {
  return defaultPartitioner({ topic, partitionMetadata: metadataFor(partitionCount), message: { key, value: null } });
}

// For a keyed record the partitioner only counts the partitions; build that list once per count.
const metadataByCount = new Map<number, PartitionMetadata[]>();

function metadataFor(partitionCount: number): PartitionMetadata[] {
  let metadata = metadataByCount.get(partitionCount);
  if (!metadata) {
    metadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
      partitionErrorCode: 0,
    }));
    metadataByCount.set(partitionCount, metadata);
  }
  return metadata;
}
