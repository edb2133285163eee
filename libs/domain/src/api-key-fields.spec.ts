import {
  FieldRule,
  UPDATABLE_FIELDS,
  completeFields,
  hasForbiddenCharacters,
  isOrigin,
  pickChanges,
  wireChangesProblem,
} from './api-key-fields';

/**
 * A field the list does not have, to show what adding one takes in the domain: nothing but its
 * entry (its presentation, in libs/contracts, is not the domain's concern).
 */
const description: FieldRule<string> = {
  requiredOnCreate: false,
  initial: '',
  normalize: (value) => value,
  problem: (value) => (typeof value === 'string' ? null : { message: 'must be a string' }),
  isWireValue: (value): value is string => typeof value === 'string',
  copy: (value) => value,
};
const extended = { ...UPDATABLE_FIELDS, description };

describe('the updatable field list', () => {
  it('is the only list: picking changes, completing a new key and decoding changes all follow it', () => {
    expect(pickChanges({ description: 'x', name: 'n', key_type: 'public' }, extended)).toEqual({
      description: 'x',
      name: 'n',
    });
    expect(completeFields({ name: 'n' }, extended)).toEqual({
      name: 'n',
      allowed_origins: [],
      allowed_assistants: [],
      expires_at: null,
      enabled: true,
      meta: {},
      description: '',
    });
    expect(wireChangesProblem({ description: 'x' }, extended)).toBeNull();
    expect(wireChangesProblem({ description: 'x' })).toBe('.description is not an updatable field');
    expect(wireChangesProblem({ description: 7 }, extended)).toBe('.description has the wrong type');
  });

  it('refuses a value of the wrong type in every field', () => {
    for (const [field, rule] of Object.entries(UPDATABLE_FIELDS) as [string, FieldRule<unknown>][]) {
      expect([field, rule.problem(42)]).not.toEqual([field, null]);
      expect([field, rule.isWireValue(42)]).toEqual([field, false]);
    }
  });

  it('takes an expiry only as UTC to the whole second with Z, or null for never', () => {
    const { expires_at } = UPDATABLE_FIELDS;
    for (const ok of [null, '2027-01-31T00:00:00Z', '2030-12-31T23:59:59Z'])
      expect([ok, expires_at.problem(ok)]).toEqual([ok, null]);
    for (const bad of [
      '2027-01-31T00:00:00.000Z',
      '2027-01-31T00:00:00+00:00',
      '2027-01-31',
      '2027-02-30T00:00:00Z',
      '',
      0,
    ])
      expect([bad, expires_at.problem(bad)]).not.toEqual([bad, null]);
  });

  it('takes meta as a JSON object of at most 4 levels and 4096 bytes, and refuses null', () => {
    const { meta } = UPDATABLE_FIELDS;
    expect(meta.problem({})).toBeNull();
    expect(meta.problem({ a: { b: { c: { d: 1 } } } })).toBeNull();
    expect(meta.problem({ a: { b: { c: { d: { e: 1 } } } } })?.message).toMatch(/4 levels/);
    expect(meta.problem({ a: [{ b: [1] }] })).toBeNull();
    expect(meta.problem({ a: [{ b: [{ c: 1 }] }] })?.message).toMatch(/4 levels/);
    // 4096 bytes exactly passes, one more fails; bytes are UTF-8, so "é" counts two.
    const fits = { k: 'x'.repeat(4096 - '{"k":""}'.length) };
    expect(meta.problem(fits)).toBeNull();
    expect(meta.problem({ k: `${fits.k}x` })?.message).toMatch(/4096 bytes/);
    expect(meta.problem({ k: 'é'.repeat(2045) })?.message).toMatch(/4096 bytes/);
    for (const bad of [null, [], 'plan', 1]) expect(meta.problem(bad)?.message).toBe('must be a JSON object');
  });

  it('takes meta keys only as a document store takes data: not empty, no leading $, no dot or NUL', () => {
    const { meta } = UPDATABLE_FIELDS;
    for (const bad of [
      { $set: 1 },
      { 'a.b': 1 },
      { '': 1 },
      { 'a\u0000': 1 },
      { a: [{ $gt: 1 }] },
      { a: { b: { '.': 1 } } },
    ]) {
      expect([bad, meta.problem(bad)?.message]).toEqual([bad, expect.stringContaining('keys that are not empty')]);
      expect([bad, meta.isWireValue(bad)]).toEqual([bad, false]);
    }
    expect(meta.problem({ a$b: 1, 'plan-tier': { x: [1, { y: 'z' }] } })).toBeNull();
  });

  it('copies meta deeply, so that a state never shares an object with an event', () => {
    const source = { plan: { tier: 'pro' } };
    const copy = UPDATABLE_FIELDS.meta.copy(source);
    expect(copy).toEqual(source);
    expect(copy.plan).not.toBe(source.plan);
  });

  it('copies arrays so that a state never shares one with a request or an event', () => {
    const origins = ['https://a.example'];
    expect(pickChanges({ allowed_origins: origins }).allowed_origins).not.toBe(origins);
    expect(completeFields({ allowed_origins: origins }).allowed_origins).not.toBe(origins);
  });

  it('ignores fields set to undefined, and inherited properties', () => {
    expect(pickChanges({ name: undefined })).toEqual({});
    expect(pickChanges(Object.create({ name: 'inherited' }) as object)).toEqual({});
  });
});

describe('field rules', () => {
  const { name, allowed_origins: origins, allowed_assistants: assistants } = UPDATABLE_FIELDS;

  it('trims a clean name but leaves one with control characters for the rule to refuse', () => {
    expect(name.normalize('  Padded  ')).toBe('Padded');
    expect(name.normalize(' a\u0000b ')).toBe(' a\u0000b ');
    expect(name.problem(' a\u0000b ')).toEqual({ message: 'must not contain control characters' });
  });

  it('counts a name in code points', () => {
    expect(name.problem('😀'.repeat(255))).toBeNull();
    expect(name.problem('😀'.repeat(256))).not.toBeNull();
    expect(name.problem('')).not.toBeNull();
  });

  it('knows an origin exactly as browsers send it', () => {
    expect(isOrigin('https://app.example.com')).toBe(true);
    expect(isOrigin('http://localhost:3000')).toBe(true);
    for (const bad of [
      'https://app.example.com/',
      'https://A.example.com',
      'ftp://x.example',
      'https://x.example:443',
    ]) {
      expect([bad, isOrigin(bad)]).toEqual([bad, false]);
    }
  });

  it('names the first bad item of a list, then duplicates, then the size', () => {
    expect(origins.problem(['https://a.example', 'nope'])).toMatchObject({ index: 1 });
    expect(assistants.problem(['1', '1'])).toEqual({ message: 'must not contain duplicates' });
    expect(assistants.problem(Array.from({ length: 101 }, (_, i) => String(i)))).toEqual({
      message: 'must have at most 100 assistant ids',
    });
    expect(assistants.problem([' 1'])).toMatchObject({ index: 0 });
  });

  it.each([
    '\u061C',
    '\u200E',
    '\u200F',
    '\u202A',
    '\u202B',
    '\u202C',
    '\u202D',
    '\u202E',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
  ])('refuses the bidirectional control U+%s in every text field', (control) => {
    expect(hasForbiddenCharacters(`a${control}b`)).toBe(true);
    expect(name.problem(`Key${control}name`)).toEqual({ message: 'must not contain control characters' });
    expect(assistants.problem([`id${control}1`])).toMatchObject({ index: 0 });
    expect(origins.problem([`https://a${control}.example`])).toMatchObject({ index: 0 });
  });

  it.each([
    ['zero-width spaces', '\u200B\u200B'],
    ['a zero-width joiner and a word joiner', '\u200D\u2060'],
    ['variation selectors', '\uFE0F\uFE0E'],
    ['a byte-order mark and a Hangul filler', '\uFEFF\u3164'],
    ['spaces around an invisible separator', ' \u2063 '],
  ])('refuses a name made only of %s', (_, text) => {
    expect(name.problem(name.normalize(text))).toEqual({ message: 'must contain a visible character' });
    expect(assistants.problem([text])).toMatchObject({ index: 0 });
  });

  it('accepts visible text that also holds joiners, such as an emoji sequence', () => {
    expect(name.problem('Team 👩\u200D💻 key')).toBeNull();
  });

  it('judges duplicates after NFC normalization', () => {
    const composed = 'caf\u00E9';
    const decomposed = 'cafe\u0301';
    expect(composed).not.toBe(decomposed);
    expect(assistants.problem([composed, decomposed])).toEqual({ message: 'must not contain duplicates' });
  });

  it('counts an assistant id in code points', () => {
    expect(assistants.problem(['😀'.repeat(128)])).toBeNull();
    expect(assistants.problem(['😀'.repeat(129)])).toMatchObject({ index: 0 });
  });
});
