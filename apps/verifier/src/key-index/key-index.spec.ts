import { keyState } from '../../../../test/support/key-fixtures';
import { KeyIndex, compactState } from './key-index';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

describe('KeyIndex, every live key of the state topic by its secrets’ hashes', () => {
  it('finds a key by its current hash, and by its previous one after a roll with a grace', () => {
    const index = new KeyIndex();
    index.apply(0, 0, { id: 42, state: keyState({ key_hash: A }) });
    expect(index.findByHash(A)?.id).toBe(42);
    const rolled = keyState({ key_hash: B, previous_key_hash: A, previous_key_expires_at: '2024-01-15T12:00:00.000Z' });
    index.apply(0, 1, { id: 42, state: rolled });
    expect(index.findByHash(B)).toEqual(rolled);
    expect(index.findByHash(A)).toBe(index.findByHash(B));
    expect(index.size).toBe(1);
  });

  it('forgets the hashes a key no longer has: a second roll drops the first secret', () => {
    const index = new KeyIndex();
    index.apply(0, 0, { id: 42, state: keyState({ key_hash: B, previous_key_hash: A }) });
    index.apply(0, 1, { id: 42, state: keyState({ key_hash: C, previous_key_hash: B }) });
    expect(index.findByHash(A)).toBeNull();
    expect(index.findByHash(B)?.key_hash).toBe(C);
  });

  it('removes a key revoked (deleted_at set) or tombstoned', () => {
    const index = new KeyIndex();
    index.apply(0, 0, { id: 42, state: keyState({ key_hash: A }) });
    index.apply(1, 0, { id: 43, state: keyState({ id: 43, key_hash: B }) });
    index.apply(0, 1, { id: 42, state: keyState({ key_hash: A, deleted_at: '2024-01-15T12:00:00.000Z' }) });
    index.apply(1, 1, { id: 43, state: null });
    expect([index.findByHash(A), index.findByHash(B), index.size]).toEqual([null, null, 0]);
  });

  it('skips records at or below a partition’s applied offset, so a re-read never brings back an older state', () => {
    const index = new KeyIndex();
    index.apply(2, 5, { id: 42, state: keyState({ key_hash: A }) });
    index.apply(2, 9, { id: 42, state: null });
    expect(index.apply(2, 5, { id: 42, state: keyState({ key_hash: A }) })).toBe(false);
    expect(index.findByHash(A)).toBeNull();
    expect(index.appliedOffset(2)).toBe(9);
    expect(index.appliedOffset(0)).toBe(-1);
    index.skip(0, 3);
    expect([...index.appliedOffsets()]).toEqual([
      [2, 9],
      [0, 3],
    ]);
  });

  it('holds a compact copy: equal to the state, with empty lists and objects, and equal times, shared', () => {
    const one = compactState(keyState({ id: 1, key_hash: A }));
    const two = compactState(keyState({ id: 2, key_hash: B }));
    expect(one).toEqual(keyState({ id: 1, key_hash: A }));
    expect(one.meta).toBe(two.meta);
    expect(one.allowed_origins).toBe(two.allowed_assistants);
    expect(Object.isFrozen(one.meta)).toBe(true);
    const listed = keyState({ allowed_origins: ['https://a.example'], meta: { plan: 'pro' } });
    expect(compactState(listed)).toEqual(listed);
  });
});
