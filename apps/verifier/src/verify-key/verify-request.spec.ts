import { VerifierError } from '../http/envelope';
import { readVerifyRequest } from './verify-request';

const problemsOf = (body: unknown): readonly string[] => {
  try {
    readVerifyRequest(body);
  } catch (error) {
    if (error instanceof VerifierError && error.status === 422) return error.errors;
    throw error;
  }
  throw new Error('expected a 422');
};

describe('readVerifyRequest', () => {
  it('reads the key and the optional origin, assistant and min_position', () => {
    expect(readVerifyRequest({ key: 'k' })).toEqual({ key: 'k', origin: null, assistantId: null, minPosition: null });
    expect(
      readVerifyRequest({ key: 'k', origin: 'https://a.example', assistant_id: 'x', min_position: '2:1234' }),
    ).toEqual({ key: 'k', origin: 'https://a.example', assistantId: 'x', minPosition: { partition: 2, offset: 1234 } });
    expect(
      readVerifyRequest({ key: 'k', origin: null, assistant_id: null, min_position: null }).minPosition,
    ).toBeNull();
  });

  it('takes any string as the key: one of no shape of ours is judged NOT_FOUND, not refused', () => {
    expect(readVerifyRequest({ key: '' }).key).toBe('');
  });

  it('names every problem at once, unknown fields too', () => {
    expect(problemsOf({ key: 1, origin: 2, assistant_id: 'x'.repeat(2049), min_position: '1:2:3', keys: [] })).toEqual([
      'keys is not allowed',
      'key must be a string',
      'origin must be a string of at most 2048 characters, or null',
      'assistant_id must be a string of at most 2048 characters, or null',
      'min_position must be "<partition>:<offset>" (two non-negative integers), or null',
    ]);
    expect(problemsOf([])).toEqual(['the request body must be a JSON object']);
    expect(problemsOf(null)).toEqual(['the request body must be a JSON object']);
  });

  it('refuses a min_position that is no position: negative, signed, padded or past a safe integer', () => {
    for (const bad of ['-1:0', '0:-1', '+1:2', '01:2', '1:02', '1:', ':1', '1:99999999999999999', 12])
      expect(problemsOf({ key: 'k', min_position: bad })).toHaveLength(1);
  });
});
