import { BadHeaderError, matches, parseEntityTags } from './etags';

describe('entity tags', () => {
  it('reads *, one tag or a list', () => {
    expect(parseEntityTags('If-Match', '*', false)).toEqual({ any: true });
    expect(parseEntityTags('If-Match', '"3"', false)).toEqual({ any: false, versions: [3] });
    expect(parseEntityTags('If-None-Match', '"3", W/"4"', true)).toEqual({ any: false, versions: [3, 4] });
    expect(parseEntityTags('If-Match', undefined, false)).toBeUndefined();
  });

  it('lets a weak tag match nothing in If-Match, which compares strongly', () => {
    const tags = parseEntityTags('If-Match', 'W/"4"', false)!;
    expect(matches(tags, 4)).toBe(false);
  });

  it.each(['3', '"abc"', '"3', '"3",,"4"'])('refuses %s, which this API never gives', (value) => {
    expect(() => parseEntityTags('If-Match', value, false)).toThrow(BadHeaderError);
  });
});
