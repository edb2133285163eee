import { formatTime } from './api-key.view';

describe('formatTime', () => {
  it('shows a stored time to the second, UTC, as the reference does', () => {
    expect(formatTime('2024-01-15T11:00:00.987Z')).toBe('2024-01-15T11:00:00Z');
  });

  it('reads any other ISO 8601 form as a date first', () => {
    expect(formatTime('2024-01-15T12:00:00.5+01:00')).toBe('2024-01-15T11:00:00Z');
    expect(formatTime('2024-01-15T11:00:00Z')).toBe('2024-01-15T11:00:00Z');
  });
});
