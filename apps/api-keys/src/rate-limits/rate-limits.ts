import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/config';
import { RateLimitedError } from '../errors';
import { addressBucket } from './address-bucket';
import { Budget, FixedWindowLimiter } from './fixed-window-limiter';

/**
 * The budgets every caller has: requests per API key, and failed authentications per client
 * address (stricter, and checked before any lookup, so guessing keys is throttled cheaply; an
 * IPv6 address counts by its prefix, see addressBucket).
 * Windows are per instance: N instances behind a balancer let a key make up to N times its budget.
 */
@Injectable()
export class RateLimits {
  private readonly perKey: FixedWindowLimiter;
  private readonly authFailures: FixedWindowLimiter;
  private readonly ipv6Prefix: number;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'rateLimits'>) {
    const { requestsPerKey, authFailuresPerAddress, authFailuresIpv6Prefix, windowMs } = config.rateLimits;
    this.perKey = new FixedWindowLimiter(requestsPerKey, windowMs);
    this.authFailures = new FixedWindowLimiter(authFailuresPerAddress, windowMs);
    this.ipv6Prefix = authFailuresIpv6Prefix;
  }

  /** Counts a request of an authenticated key; throws 429 past its budget. */
  spendRequest(keyId: number, res: Response): void {
    this.enforce(this.perKey.take(String(keyId)), 'key', res);
  }

  /** Whether this address has no failed authentications left in this window (then: no lookups). */
  exhaustedAuthFailures(address: string, res: Response): boolean {
    const budget = this.authFailures.peek(this.bucket(address));
    if (budget.remaining > 0) return false;
    writeHeaders(res, budget);
    return true;
  }

  /** Counts a failed authentication of this address (its answer carries that budget). */
  spendAuthFailure(address: string, res: Response): void {
    writeHeaders(res, this.authFailures.take(this.bucket(address)));
  }

  refuseAddress(address: string): RateLimitedError {
    return new RateLimitedError('address', retryAfter(this.authFailures.peek(this.bucket(address))));
  }

  private bucket(address: string): string {
    return addressBucket(address, this.ipv6Prefix);
  }

  private enforce(budget: Budget, scope: 'key' | 'address', res: Response): void {
    writeHeaders(res, budget);
    if (!budget.allowed) throw new RateLimitedError(scope, retryAfter(budget));
  }
}

const retryAfter = (budget: Budget) => Math.max(1, Math.ceil((budget.resetAt - Date.now()) / 1000));

function writeHeaders(res: Response, budget: Budget): void {
  res.setHeader('X-RateLimit-Limit', String(budget.limit));
  res.setHeader('X-RateLimit-Remaining', String(budget.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(budget.resetAt / 1000)));
}
