import { SeenEventIds } from './seen-event-ids';

const records = (...ids: [string, number][]) => ids.map(([eventId, offset]) => ({ eventId, offset }));

describe('SeenEventIds', () => {
  it('knows only partitions taken at the log’s start, each id at its first record’s offset', () => {
    const seen = new SeenEventIds(10);
    expect(seen.of(0)).toBeNull();
    seen.fromStart(0);
    seen.add(0, seen.of(0), records(['a', 0], ['b', 1], ['a', 2]));
    expect([...seen.of(0)!]).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(seen.of(1)).toBeNull();
    expect(seen.count).toBe(2);
  });

  it('drops a partition whose ids would take the total past the bound, and keeps the others', () => {
    const seen = new SeenEventIds(3);
    seen.fromStart(0);
    seen.fromStart(1);
    seen.add(0, seen.of(0), records(['a', 0], ['b', 1]));
    seen.add(1, seen.of(1), records(['c', 0], ['d', 1]));
    expect(seen.of(1)).toBeNull();
    expect(seen.of(0)?.size).toBe(2);
    expect(seen.count).toBe(2);
  });

  it('adds nothing to a partition dropped or taken anew since the batch began', () => {
    const seen = new SeenEventIds(10);
    seen.fromStart(0);
    const atStart = seen.of(0);
    seen.clear(); // a rebalance while the batch was in flight
    seen.add(0, atStart, records(['a', 0]));
    expect(seen.of(0)).toBeNull();
    seen.fromStart(0);
    seen.add(0, atStart, records(['a', 0]));
    expect(seen.of(0)?.size).toBe(0);
    expect(seen.count).toBe(0);
  });
});
