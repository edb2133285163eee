import type { Response } from 'express';
import { RateLimitedError } from '../errors';
import { RateLimits } from './rate-limits';

/** A response that only keeps its headers. */
const response = () => {
  const headers: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response;
  return { res, headers };
};

describe('RateLimits', () => {
  let now = 0;
  const make = (requestsPerKey: number, requestsPerUser: number) =>
    new RateLimits(
      {
        rateLimits: {
          requestsPerKey,
          requestsPerUser,
          authFailuresPerAddress: 3,
          authFailuresIpv6Prefix: 64,
          windowMs: 60_000,
          syncMs: 250,
        },
      },
      null,
      null,
      () => now,
    );
  beforeEach(() => (now = 1_000_000));

  it('refuses a user’s keys together past the user budget, though each key has budget left', async () => {
    const limits = make(3, 4);
    for (const keyId of [1, 1, 2, 2]) await limits.spendRequest(keyId, 7, response().res);
    const { res, headers } = response();
    const refused = await limits.spendRequest(3, 7, res).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ scope: 'user', headers: { 'Retry-After': '15' } });
    expect(headers).toMatchObject({ 'X-RateLimit-Limit': '4', 'X-RateLimit-Remaining': '0' });
    // Another user's key is not held back.
    await expect(limits.spendRequest(4, 8, response().res)).resolves.toBeUndefined();
  });

  it('reports the tighter of the key’s and the user’s budget', async () => {
    const limits = make(2, 10);
    const first = response();
    await limits.spendRequest(1, 7, first.res);
    expect(first.headers).toEqual({
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Remaining': '1',
      'X-RateLimit-Reset': String(Math.ceil((now + 30_000) / 1000)),
    });
    const other = response();
    await limits.spendRequest(2, 7, other.res); // a fresh key: its own 1 left is tighter than the user's 8
    expect(other.headers).toMatchObject({ 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '1' });
    for (let i = 0; i < 7; i++) await limits.spendRequest(10 + i, 7, response().res);
    const last = response();
    await limits.spendRequest(20, 7, last.res);
    expect(last.headers).toMatchObject({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0' });
  });

  it('refuses a key past its own budget with the key’s scope, and takes nothing from the user', async () => {
    const limits = make(1, 3);
    await limits.spendRequest(1, 7, response().res);
    await expect(limits.spendRequest(1, 7, response().res)).rejects.toMatchObject({ scope: 'key' });
    await limits.spendRequest(2, 7, response().res);
    await limits.spendRequest(3, 7, response().res);
    await expect(limits.spendRequest(4, 7, response().res)).rejects.toMatchObject({ scope: 'user' });
  });
});

/** The budgets of one instance alone, with a failed-auth budget of 2. */
const alone = (authFailuresIpv6Prefix = 64) =>
  new RateLimits(
    {
      rateLimits: {
        requestsPerKey: 10,
        requestsPerUser: 50,
        authFailuresPerAddress: 2,
        authFailuresIpv6Prefix,
        windowMs: 60_000,
        syncMs: 250,
      },
    },
    null,
    null,
  );
const ignored = () => response().res;

describe('RateLimits: the failed-authentication budget', () => {
  it('is shared by every address of one IPv6 /64, so rotating addresses buys no guesses', () => {
    const budgets = alone();
    budgets.spendAuthFailure('2001:db8:0:1::a', ignored());
    budgets.spendAuthFailure('2001:db8:0:1:ffff::b', ignored());
    expect(budgets.exhaustedAuthFailures('2001:db8:0:1:1234:5678:9abc:def0', ignored())).toBe(true);
    expect(budgets.exhaustedAuthFailures('2001:db8:0:2::a', ignored())).toBe(false);
  });

  it('follows AUTH_FAILURES_IPV6_PREFIX', () => {
    const budgets = alone(128);
    budgets.spendAuthFailure('2001:db8:0:1::a', ignored());
    budgets.spendAuthFailure('2001:db8:0:1::b', ignored());
    expect(budgets.exhaustedAuthFailures('2001:db8:0:1::c', ignored())).toBe(false);
    budgets.spendAuthFailure('2001:db8:0:1::A%eth0', ignored());
    expect(budgets.exhaustedAuthFailures('2001:db8:0:1::a', ignored())).toBe(true);
  });

  it('counts an IPv4-mapped address and its IPv4 address as one client, and IPv4 addresses apart', () => {
    const budgets = alone();
    budgets.spendAuthFailure('::ffff:203.0.113.7', ignored());
    budgets.spendAuthFailure('203.0.113.7', ignored());
    expect(budgets.exhaustedAuthFailures('::ffff:203.0.113.7', ignored())).toBe(true);
    expect(budgets.exhaustedAuthFailures('203.0.113.8', ignored())).toBe(false);
  });
});
