import { partitionsBehind } from './catch-up';

describe('partitionsBehind, what a starting verifier has still to read', () => {
  it('names each partition not yet applied up to the last record it had at start', () => {
    const targets = new Map([
      [0, { low: 0, high: 10 }],
      [1, { low: 4, high: 4 }],
      [2, { low: 0, high: 3 }],
    ]);
    const applied = new Map([[0, 8]]);
    expect(partitionsBehind(targets, (p) => applied.get(p) ?? -1)).toEqual([
      { partition: 0, applied: 8, target: 9 },
      { partition: 2, applied: -1, target: 2 },
    ]);
    applied.set(0, 9).set(2, 2);
    expect(partitionsBehind(targets, (p) => applied.get(p) ?? -1)).toEqual([]);
  });
});
