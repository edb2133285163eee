import type { Response } from 'express';
import { RateLimits } from './rate-limits';

const response = () => ({ setHeader: () => undefined }) as unknown as Response;
const limits = (authFailuresIpv6Prefix = 64) =>
  new RateLimits({
    rateLimits: { requestsPerKey: 10, authFailuresPerAddress: 2, authFailuresIpv6Prefix, windowMs: 60_000 },
  });

describe('RateLimits: the failed-authentication budget', () => {
  it('is shared by every address of one IPv6 /64, so rotating addresses buys no guesses', () => {
    const budgets = limits();
    budgets.spendAuthFailure('2001:db8:0:1::a', response());
    budgets.spendAuthFailure('2001:db8:0:1:ffff::b', response());
    expect(budgets.exhaustedAuthFailures('2001:db8:0:1:1234:5678:9abc:def0', response())).toBe(true);
    expect(budgets.exhaustedAuthFailures('2001:db8:0:2::a', response())).toBe(false);
  });

  it('follows AUTH_FAILURES_IPV6_PREFIX', () => {
    const budgets = limits(128);
    budgets.spendAuthFailure('2001:db8:0:1::a', response());
    budgets.spendAuthFailure('2001:db8:0:1::b', response());
    expect(budgets.exhaustedAuthFailures('2001:db8:0:1::c', response())).toBe(false);
    budgets.spendAuthFailure('2001:db8:0:1::A%eth0', response());
    expect(budgets.exhaustedAuthFailures('2001:db8:0:1::a', response())).toBe(true);
  });

  it('counts an IPv4-mapped address and its IPv4 address as one client, and IPv4 addresses apart', () => {
    const budgets = limits();
    budgets.spendAuthFailure('::ffff:203.0.113.7', response());
    budgets.spendAuthFailure('203.0.113.7', response());
    expect(budgets.exhaustedAuthFailures('::ffff:203.0.113.7', response())).toBe(true);
    expect(budgets.exhaustedAuthFailures('203.0.113.8', response())).toBe(false);
  });
});
