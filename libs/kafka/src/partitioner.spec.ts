import { partitionFor } from './partitioner';

describe('partitionFor', () => {
  it('puts every record of one key on the same partition', () => {
    expect(new Set(Array.from({ length: 5 }, () => partitionFor('t', '42', 3))).size).toBe(1);
  });

  it('depends only on the key and the partition count, not on the topic', () => {
    expect(['0', '1', '2', '3', '42'].map((key) => partitionFor('t', key, 3))).toEqual(
      ['0', '1', '2', '3', '42'].map((key) => partitionFor('other-topic', key, 3)),
    );
  });

  it('spreads keys over all partitions', () => {
    const used = new Set(Array.from({ length: 100 }, (_, i) => partitionFor('t', String(i + 1), 3)));
    expect([...used].sort()).toEqual([0, 1, 2]);
  });
});
