import { BadHeaderError, expectedVersion, matches, parseEntityTags } from './etags';

const refusalOf = (parse: () => unknown): BadHeaderError | undefined => {
  try {
    parse();
    return undefined;
  } catch (error) {
    return error as BadHeaderError;
  }
};

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

  it('lets W/"3" match version 3 in If-None-Match, which compares weakly', () => {
    expect(matches(parseEntityTags('If-None-Match', 'W/"3"', true)!, 3)).toBe(true);
  });

  it('ignores well-formed tags this API never gives, and keeps the ones it does', () => {
    const tags = parseEntityTags('If-None-Match', 'W/"3", W/"\\yiB", "1nX)^b"', true)!;
    expect(tags).toEqual({ any: false, versions: [3] });
    expect(matches(tags, 3)).toBe(true);
    expect(parseEntityTags('If-None-Match', '"", "a,b", "03", "\xe9"', true)).toEqual({ any: false, versions: [] });
  });

  it('accepts the empty list elements RFC 9110 asks recipients to skip', () => {
    expect(parseEntityTags('If-Match', ', "3",, "4" ,', false)).toEqual({ any: false, versions: [3, 4] });
  });

  it('makes an If-Match of only foreign tags fail its precondition rather than vanish', () => {
    const tags = parseEntityTags('If-Match', '"abc"', false);
    expect(expectedVersion(tags, 3)).toBe(-1);
  });

  it.each(['3', '"3', 'W/3', 'w/"3"', '"3" "4"', '"a"b"', '*, "3"', ',', '"\t"'])(
    'refuses %p, which is not an entity-tag list, naming the header and its rule',
    (value) => {
      const refusal = refusalOf(() => parseEntityTags('If-Match', value, false));
      expect(refusal).toBeInstanceOf(BadHeaderError);
      expect(refusal?.details).toMatch(/^Send If-Match as "\*" or a comma-separated list of ETags/);
    },
  );
});
