import { topicSpecs } from './topics';

describe('topics the stack creates', () => {
  it('creates the events topic and its dead-letter topic with explicit partitions, kept forever', () => {
    const specs = topicSpecs({ eventsTopic: 'api-keys.events', dlqTopic: 'api-keys.events.dlq', topicPartitions: 3 });

    expect(specs.map((s) => s.topic)).toEqual(['api-keys.events', 'api-keys.events.dlq']);
    for (const spec of specs) {
      expect(spec.numPartitions).toBe(3);
      expect(spec.replicationFactor).toBe(1);
      expect(spec.configEntries).toEqual([{ name: 'retention.ms', value: '-1' }]);
    }
  });
});
