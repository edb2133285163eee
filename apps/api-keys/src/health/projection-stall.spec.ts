import { ProjectionStallJudge } from './projection-stall';

describe('ProjectionStallJudge', () => {
  let now = 0;
  const judge = () => new ProjectionStallJudge(5000, () => now);
  beforeEach(() => (now = 1_000_000));

  it('reports a partition whose checkpoint stood still behind the log end for the bound', () => {
    const stalls = judge();
    expect(stalls.judge([{ partition: 1, end: 10, applied: 4 }])).toEqual([]);
    now += 4999;
    expect(stalls.judge([{ partition: 1, end: 12, applied: 4 }])).toEqual([]);
    now += 1;
    expect(stalls.judge([{ partition: 1, end: 12, applied: 4 }])).toEqual([
      { partition: 1, end: 12, applied: 4, forMs: 5000 },
    ]);
  });

  it('does not report a partition that is behind but moving, however long it stays behind', () => {
    const stalls = judge();
    for (let applied = 0; applied < 10; applied++) {
      expect(stalls.judge([{ partition: 0, end: 100, applied }])).toEqual([]);
      now += 4000;
    }
  });

  it('does not report a partition that has caught up, and restarts the clock when it falls behind again', () => {
    const stalls = judge();
    stalls.judge([{ partition: 2, end: 10, applied: 4 }]);
    now += 3000;
    expect(stalls.judge([{ partition: 2, end: 10, applied: 9 }])).toEqual([]);
    now += 3000;
    expect(stalls.judge([{ partition: 2, end: 11, applied: 9 }])).toEqual([]);
    now += 3000;
    expect(stalls.judge([{ partition: 2, end: 11, applied: 9 }])).toEqual([]);
    now += 2000;
    expect(stalls.judge([{ partition: 2, end: 11, applied: 9 }])).toHaveLength(1);
  });

  it('treats an empty partition with no checkpoint as caught up', () => {
    const stalls = judge();
    stalls.judge([{ partition: 0, end: 0, applied: -1 }]);
    now += 60_000;
    expect(stalls.judge([{ partition: 0, end: 0, applied: -1 }])).toEqual([]);
  });

  it('judges each partition on its own', () => {
    const stalls = judge();
    const look = (applied0: number) => [
      { partition: 0, end: 50, applied: applied0 },
      { partition: 1, end: 50, applied: 20 },
    ];
    stalls.judge(look(10));
    now += 6000;
    expect(stalls.judge(look(11)).map((s) => s.partition)).toEqual([1]);
  });
});
