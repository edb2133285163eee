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
      { rateLimits: { requestsPerKey, requestsPerUser, authFailuresPerAddress: 3, windowMs: 60_000, syncMs: 250 } },
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
