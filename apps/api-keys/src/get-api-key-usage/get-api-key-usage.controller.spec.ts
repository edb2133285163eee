import { usageView } from './get-api-key-usage.controller';

describe('the usage answer', () => {
  it('is null and zeros for a key never used', () => {
    expect(usageView(null)).toEqual({
      last_used_at: null,
      previous_last_used_at: null,
      verifications: { DISABLED: 0, EXPIRED: 0, ORIGIN_NOT_ALLOWED: 0, ASSISTANT_NOT_ALLOWED: 0, VALID: 0 },
    });
  });

  it('gives the times in whole seconds, as every time of the API, truncated', () => {
    const view = usageView({
      _id: '7',
      api_key_id: 7,
      last_used_at: '2024-01-15T11:00:05.999Z',
      previous_last_used_at: '2024-01-15T11:00:01.001Z',
      verifications: { DISABLED: 0, EXPIRED: 1, ORIGIN_NOT_ALLOWED: 0, ASSISTANT_NOT_ALLOWED: 0, VALID: 3 },
      applied: [],
    });
    expect(view).toEqual({
      last_used_at: '2024-01-15T11:00:05Z',
      previous_last_used_at: '2024-01-15T11:00:01Z',
      verifications: { DISABLED: 0, EXPIRED: 1, ORIGIN_NOT_ALLOWED: 0, ASSISTANT_NOT_ALLOWED: 0, VALID: 3 },
    });
  });
});
