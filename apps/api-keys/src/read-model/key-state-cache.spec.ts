import { ProjectedKey } from './api-key.document';
import { KeyStateCache } from './key-state-cache';

// Key id n lives on partition n % 3 in these tests.
const newCache = (max?: number) => new KeyStateCache((id) => id % 3, max);
const doc = (id: number, name = `k${id}`, offset = 1): ProjectedKey => ({
  id,
  key_type: 'private',
  name,
  key_hash: `hash-${id}`,
  allowed_origins: [],
  allowed_assistants: [],
  expires_at: null,
  enabled: true,
  meta: {},
  previous_key_hash: null,
  previous_key_expires_at: null,
  transient_assistant: false,
  user_id: 1,
  user_email: 'u@example.com',
  created_at: '1970-01-01T00:00:00.000Z',
  updated_at: '1970-01-01T00:00:00.000Z',
  deleted_at: null,
  version: 1,
  applied: { partition: id % 3, offset },
});

describe('KeyStateCache', () => {
  it('serves the projector’s latest state of keys in owned partitions, by id and by hash', () => {
    const cache = newCache();
    cache.setOwned([0, 1]);
    cache.applied(0, [doc(3, 'new')]);
    expect(cache.get(3)?.name).toBe('new');
    expect(cache.getByHash('hash-3')?.id).toBe(3);
  });

  it('never caches keys whose partition another instance projects', () => {
    const cache = newCache();
    cache.setOwned([0]);
    cache.applied(1, [doc(4)]);
    const ticket = cache.ticket();
    cache.offer(ticket, doc(7));
    expect(cache.get(4)).toBeUndefined();
    expect(cache.get(7)).toBeUndefined();
  });

  it('keeps a request’s database read only if no batch of that partition was applied meanwhile', () => {
    const cache = newCache();
    cache.setOwned([0, 1]);
    const stale = cache.ticket();
    cache.applied(0, [doc(6, 'from projector', 5)]);
    cache.offer(stale, doc(3, 'old read')); // partition 0 moved on since the ticket: refused
    cache.offer(stale, doc(4, 'fresh read')); // partition 1 did not: kept
    expect(cache.get(3)).toBeUndefined();
    expect(cache.get(4)?.name).toBe('fresh read');
  });

  it('never lets a request’s read replace what the projector stored', () => {
    const cache = newCache();
    cache.setOwned([0]);
    const ticket = cache.ticket();
    cache.applied(0, [doc(3, 'projected', 9)]);
    cache.offer(cache.ticket(), doc(3, 'read', 2));
    cache.offer(ticket, doc(3, 'older read', 1));
    expect(cache.get(3)?.name).toBe('projected');
  });

  it('forgets everything on a new assignment', () => {
    const cache = newCache();
    cache.setOwned([0]);
    cache.applied(0, [doc(3)]);
    const ticket = cache.ticket();
    cache.setOwned([0]);
    cache.offer(ticket, doc(6));
    expect(cache.get(3)).toBeUndefined();
    expect(cache.get(6)).toBeUndefined();
  });

  it('evicts the least recently stored keys beyond its bound', () => {
    const cache = newCache(2);
    cache.setOwned([0]);
    cache.applied(0, [doc(3), doc(6), doc(9)]);
    expect(cache.get(3)).toBeUndefined();
    expect(cache.getByHash('hash-3')).toBeUndefined();
    expect(cache.get(9)?.id).toBe(9);
  });
});
