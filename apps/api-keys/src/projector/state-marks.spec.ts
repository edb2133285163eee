import {
  ANCHOR_MARKS,
  ANCHOR_SPACING_MS,
  RECENT_MARKS,
  StateMark,
  decodeMarks,
  encodeMarks,
  nextMarks,
  stateOffsetAt,
} from './state-marks';

const at = (partition: number, offset: number) => ({ partition, offset });

describe('state marks: where the state topic stood after each batch', () => {
  it('gives a key the end of its state partition after the batch that applied its event', () => {
    let marks: StateMark[] = [];
    marks = nextMarks(marks, 4, 1000, [at(0, 10), at(0, 11)]);
    marks = nextMarks(marks, 9, 1010, [at(0, 12), at(1, 3)]);
    expect(stateOffsetAt(marks, 0, 0)).toBe(11);
    expect(stateOffsetAt(marks, 4, 0)).toBe(11);
    expect(stateOffsetAt(marks, 5, 0)).toBe(12);
    expect(stateOffsetAt(marks, 5, 1)).toBe(3);
    // Cumulative: a partition the batch did not publish to keeps its last offset.
    marks = nextMarks(marks, 12, 1020, [at(1, 4)]);
    expect(stateOffsetAt(marks, 12, 0)).toBe(12);
    // Not applied yet, or no state published there: unknown.
    expect(stateOffsetAt(marks, 13, 0)).toBeNull();
    expect(stateOffsetAt(marks, 0, 2)).toBeNull();
  });

  it('adds no mark for a batch that published nothing, and replaces one a redelivery republished later', () => {
    const marks = nextMarks([], 4, 1000, [at(0, 10)]);
    expect(nextMarks(marks, 6, 1001, [])).toEqual(marks);
    const again = nextMarks(marks, 4, 2000, [at(0, 30)]);
    expect(again).toHaveLength(1);
    expect(stateOffsetAt(again, 4, 0)).toBe(30);
  });

  it('keeps the recent batches and spaced anchors, so an old event gets a later, old enough position', () => {
    let marks: StateMark[] = [];
    // 10 batches a second for a minute.
    for (let i = 0; i < 600; i++) marks = nextMarks(marks, i, 100 * i, [at(0, i)]);
    expect(marks.length).toBeLessThanOrEqual(RECENT_MARKS + ANCHOR_MARKS);
    expect(marks.slice(-RECENT_MARKS).map((m) => m.through)).toEqual(
      Array.from({ length: RECENT_MARKS }, (_, i) => 600 - RECENT_MARKS + i),
    );
    const anchors = marks.slice(0, -RECENT_MARKS);
    expect(anchors).toHaveLength(ANCHOR_MARKS);
    for (let i = 1; i < anchors.length; i++)
      expect(anchors[i].at - anchors[i - 1].at).toBeGreaterThanOrEqual(ANCHOR_SPACING_MS);
    // Exact to the batch while recent; an older event gets a later mark, never an earlier one.
    expect(stateOffsetAt(marks, 595, 0)).toBe(595);
    for (const old of [0, 100, 400, 583]) expect(stateOffsetAt(marks, old, 0)!).toBeGreaterThanOrEqual(old);
    expect(marks[0].at).toBeLessThanOrEqual(marks[marks.length - 1].at - ANCHOR_MARKS * ANCHOR_SPACING_MS);
  });

  it('is stored as one text and read back; an unreadable text reads as no marks', () => {
    let marks: StateMark[] = [];
    marks = nextMarks(marks, 4, 1000, [at(0, 10), at(2, 1)]);
    marks = nextMarks(marks, 9, 2000, [at(0, 12)]);
    const text = encodeMarks(marks);
    expect(text).toBe('4@1000=0:10,2:1 9@2000=0:10,2:1'.replace('9@2000=0:10', '9@2000=0:12'));
    expect(decodeMarks(text)).toEqual(marks);
    expect(decodeMarks(undefined)).toEqual([]);
    expect(decodeMarks('garbage')).toEqual([]);
  });
});
