import { VerifierError } from '../http/envelope';
import { TokenGate } from './token-gate';

const TOKEN = 't'.repeat(40);
const gate = (token: string | null = TOKEN, perAddress = 3) =>
  new TokenGate({ token, tokenFailures: { perAddress, ipv6Prefix: 64, windowMs: 60_000 } });

const statusOf = (check: () => void): number | 'passed' => {
  try {
    check();
    return 'passed';
  } catch (error) {
    if (error instanceof VerifierError) return error.status;
    throw error;
  }
};

describe('TokenGate', () => {
  it('passes the bearer token, and refuses none, another, a longer one or another scheme with 401', () => {
    const door = gate();
    expect(statusOf(() => door.check(`Bearer ${TOKEN}`, '10.0.0.1'))).toBe('passed');
    expect(statusOf(() => door.check(`bearer  ${TOKEN} `, '10.0.0.2'))).toBe('passed');
    for (const header of [undefined, 'Bearer nope', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`])
      expect(statusOf(() => door.check(header, `10.0.1.${String(header).length}`))).toBe(401);
  });

  it('answers 429 once an address has spent its failures, an IPv6 /64 as one, while the token still passes', () => {
    const door = gate(TOKEN, 2);
    expect(statusOf(() => door.check('Bearer a', '2001:db8::1'))).toBe(401);
    expect(statusOf(() => door.check('Bearer b', '2001:db8::2'))).toBe(401);
    expect(statusOf(() => door.check('Bearer c', '2001:db8::3'))).toBe(429);
    expect(statusOf(() => door.check('Bearer c', '10.0.0.9'))).toBe(401);
    expect(statusOf(() => door.check(`Bearer ${TOKEN}`, '2001:db8::3'))).toBe('passed');
  });

  it('is open when no token is configured (outside production only, see config)', () => {
    expect(statusOf(() => gate(null).check(undefined, '10.0.0.1'))).toBe('passed');
  });
});
