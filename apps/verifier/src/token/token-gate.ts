import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TokenBuckets, addressBucket } from '@app/access';
import { VERIFIER_CONFIG, VerifierConfig } from '../config/config';
import { VerifierError } from '../http/envelope';

const digest = (value: string) => createHash('sha256').update(value).digest();

const unauthenticated = (problem: string) =>
  new VerifierError(
    401,
    'token',
    'Invalid or missing verifier token',
    [problem],
    'Send Authorization: Bearer <VERIFIER_TOKEN>.',
    { 'WWW-Authenticate': 'Bearer' },
  );

/**
 * The verifier's door: `Authorization: Bearer <VERIFIER_TOKEN>`, compared in constant time (both
 * sides hashed first, so neither the token's length nor its first differing byte shows in the
 * timing). Wrong or missing tokens spend a budget per client address (an IPv6 client per prefix),
 * the API's failed-authentication buckets; past it, the address gets 429 without a comparison
 * worth anything to it, while the right token still passes (a gateway sharing an address with a
 * guesser is not locked out). No token configured (outside production only): the door is open.
 */
@Injectable()
export class TokenGate {
  private readonly expected: Buffer | null;
  private readonly failures: TokenBuckets;
  private readonly ipv6Prefix: number;

  constructor(@Inject(VERIFIER_CONFIG) config: Pick<VerifierConfig, 'token' | 'tokenFailures'>) {
    this.expected = config.token === null ? null : digest(config.token);
    this.failures = new TokenBuckets(config.tokenFailures.perAddress, config.tokenFailures.windowMs);
    this.ipv6Prefix = config.tokenFailures.ipv6Prefix;
  }

  /** Throws a 401 or 429 VerifierError unless the request carries the token. */
  check(authorization: string | undefined, address: string): void {
    if (this.expected === null) return;
    const presented = authorization === undefined ? null : (/^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? '');
    if (presented !== null && timingSafeEqual(digest(presented), this.expected)) return;
    const bucket = addressBucket(address, this.ipv6Prefix);
    const budget = this.failures.take(bucket);
    if (!budget.allowed) {
      const retryAfter = Math.max(1, Math.ceil((budget.retryAt - Date.now()) / 1000));
      throw new VerifierError(
        429,
        'budget',
        'Too many requests',
        ['this address sent too many wrong verifier tokens'],
        `Nothing was done; retry after ${retryAfter} s.`,
        { 'Retry-After': String(retryAfter) },
      );
    }
    throw unauthenticated(
      presented === null ? 'no verifier token: send Authorization: Bearer' : 'wrong verifier token',
    );
  }
}
