import { KeyUsage } from '@app/contracts';
import { REMEMBERED_INSTANCES, foldUsage } from './key-usage';

const record = (overrides: Partial<KeyUsage> = {}): KeyUsage => ({
  api_key_id: 7,
  source: 'verifier',
  instance: 'a',
  sequence: 1,
  window_start: '2024-01-15T11:00:00.000Z',
  window_end: '2024-01-15T11:00:10.000Z',
  last_used_at: '2024-01-15T11:00:05.000Z',
  previous_last_used_at: null,
  verifications: { VALID: { current: 2, previous: 1 } },
  ...overrides,
});

describe('foldUsage', () => {
  it('sums the records of every instance by code, keeping the latest use and latest previous-secret use', () => {
    let doc = foldUsage(null, record({ previous_last_used_at: '2024-01-15T11:00:04.000Z' }));
    doc = foldUsage(
      doc,
      record({
        instance: 'b',
        source: 'api',
        last_used_at: '2024-01-15T11:00:03.000Z',
        verifications: { EXPIRED: { current: 1, previous: 0 }, VALID: { current: 1, previous: 0 } },
      }),
    );
    expect(doc).toMatchObject({
      _id: '7',
      api_key_id: 7,
      last_used_at: '2024-01-15T11:00:05.000Z',
      previous_last_used_at: '2024-01-15T11:00:04.000Z',
      verifications: { VALID: 4, EXPIRED: 1, DISABLED: 0, ORIGIN_NOT_ALLOWED: 0, ASSISTANT_NOT_ALLOWED: 0 },
    });
  });

  it('applies a repeated record, or an older one of the same instance, not at all', () => {
    const once = foldUsage(null, record({ sequence: 2 }));
    expect(foldUsage(once, record({ sequence: 2 }))).toBeNull();
    expect(foldUsage(once, record({ sequence: 1 }))).toBeNull();
    const next = foldUsage(once, record({ sequence: 3, window_end: '2024-01-15T11:00:20.000Z' }));
    expect(next?.verifications.VALID).toBe(6);
    expect(next?.applied).toEqual([{ instance: 'a', sequence: 3, window_end: '2024-01-15T11:00:20.000Z' }]);
  });

  it('remembers a bounded number of instances, forgetting the one heard from longest ago', () => {
    let doc = foldUsage(null, record({ instance: 'first', window_end: '2024-01-15T10:00:00.000Z' }));
    for (let i = 0; i < REMEMBERED_INSTANCES; i++) doc = foldUsage(doc, record({ instance: `i${i}` }));
    expect(doc!.applied).toHaveLength(REMEMBERED_INSTANCES);
    expect(doc!.applied.map((a) => a.instance)).not.toContain('first');
  });

  it('decides the same from the same records in the same order', () => {
    const records = [
      record(),
      record({ instance: 'b' }),
      record({ sequence: 2, window_end: '2024-01-15T11:00:30.000Z' }),
    ];
    const fold = () => records.reduce((doc, r) => foldUsage(doc, r) ?? doc, foldUsage(null, record({ instance: 'z' })));
    expect(fold()).toEqual(fold());
  });
});
