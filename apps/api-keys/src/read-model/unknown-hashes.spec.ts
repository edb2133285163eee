import { UnknownHashes } from './unknown-hashes';

describe('UnknownHashes', () => {
  let now = 0;
  const make = (max = 3, ttl = 1000) => new UnknownHashes(max, ttl, () => now);
  beforeEach(() => (now = 0));

  it('remembers a hash that was not found, until its time is up', () => {
    const unknown = make();
    unknown.add('a');
    now = 999;
    expect(unknown.has('a')).toBe(true);
    now = 1000;
    expect(unknown.has('a')).toBe(false);
  });

  it('forgets a hash at once when its key is created', () => {
    const unknown = make();
    unknown.add('a');
    unknown.forget('a');
    expect(unknown.has('a')).toBe(false);
  });

  it('holds at most its size, dropping the oldest', () => {
    const unknown = make(2);
    ['a', 'b', 'c'].forEach((h) => unknown.add(h));
    expect(['a', 'b', 'c'].map((h) => unknown.has(h))).toEqual([false, true, true]);
  });
});
