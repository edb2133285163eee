import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { Response } from 'express';
import { Budget, TokenBuckets, addressBucket } from '@app/access';
import { APP_CONFIG, AppConfig } from '../config/config';
import { RateLimitedError } from '../errors';
import { FleetMembership, FleetShare, FleetUsageStore } from './fleet-share';

export const FLEET_USAGE_STORE = Symbol('FLEET_USAGE_STORE');
export const FLEET_MEMBERSHIP = Symbol('FLEET_MEMBERSHIP');
/** The clock of the budgets (the unit specs' fake one); Date.now when not provided. */
export const RATE_LIMIT_CLOCK = Symbol('RATE_LIMIT_CLOCK');

/**
 * Syncs a request over this instance's unseen share may wait for before it is refused: the peers
 * charge it within about two periods, so a caller on one instance still gets its whole budget.
 */
const MAX_SYNC_WAITS = 4;
/** Bound on removing this instance's usage document at shutdown. */
const LEAVE_TIMEOUT_MS = 500;

/**
 * The budgets every caller has, as token buckets (no burst at a window's edge): requests per API
 * key and per user (all their keys together), which hold for the whole fleet (FleetShare), and
 * failed authentications per client address (an IPv6 one by its prefix, see addressBucket), per
 * instance (stricter, and checked before any
 * lookup, so guessing keys is throttled cheaply). A request costs no store round trip: what the
 * other instances admitted is learned, and what this one admitted published, in the background.
 */
@Injectable()
export class RateLimits implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly perKey: TokenBuckets;
  private readonly perUser: TokenBuckets;
  private readonly authFailures: TokenBuckets;
  private readonly fleet: FleetShare;
  private readonly syncMs: number;
  private readonly ipv6Prefix: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly logger = new Logger('rate-limits');

  constructor(
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'rateLimits'>,
    // Without them (the bench's CRUD app) every budget is this process's alone.
    @Optional() @Inject(FLEET_USAGE_STORE) store: FleetUsageStore | null,
    @Optional() @Inject(FLEET_MEMBERSHIP) membership: FleetMembership | null,
    @Optional() @Inject(RATE_LIMIT_CLOCK) now: () => number = Date.now,
  ) {
    const { requestsPerKey, requestsPerUser, authFailuresPerAddress, authFailuresIpv6Prefix, windowMs, syncMs } =
      config.rateLimits;
    this.ipv6Prefix = authFailuresIpv6Prefix;
    this.perKey = new TokenBuckets(requestsPerKey, windowMs, 100_000, now);
    this.perUser = new TokenBuckets(requestsPerUser, windowMs, 100_000, now);
    this.authFailures = new TokenBuckets(authFailuresPerAddress, windowMs, 100_000, now);
    this.syncMs = syncMs;
    this.fleet = new FleetShare(
      store ?? NO_STORE,
      membership ?? ALONE,
      (caller, count) => this.bucketsOf(caller).charge(caller, count),
      syncMs,
      now,
      (error) => this.logger.warn(`budgets are per instance until the fleet's usage syncs again: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.fleet.leave(), new Promise((resolve) => (timer = setTimeout(resolve, LEAVE_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  /** One round of the fleet's sync (the timer runs it every RATE_LIMIT_SYNC_MS). */
  sync(): Promise<void> {
    return this.fleet.sync();
  }

  /**
   * Counts a request of an authenticated key against its own and its user's budget; throws 429
   * past either. The headers tell the tighter of the two.
   */
  async spendRequest(keyId: number, userId: number, res: Response): Promise<void> {
    const key = keyCaller(keyId);
    const user = userCaller(userId);
    for (let waits = 0; ; waits += 1) {
      const key_ = this.perKey.peek(key);
      const user_ = this.perUser.peek(user);
      if (!key_.allowed || !user_.allowed) this.refuse(key_, user_, res);
      const keyShared = this.fleet.mayAdmit(key, this.perKey.limit);
      if (keyShared && this.fleet.mayAdmit(user, this.perUser.limit)) {
        // No await since the peeks: both tokens are there.
        const taken = tighter(this.perKey.take(key), this.perUser.take(user));
        this.fleet.admitted(key);
        this.fleet.admitted(user);
        writeHeaders(res, taken.budget);
        return;
      }
      if (waits === MAX_SYNC_WAITS) {
        // The peers have not charged this instance's last admissions: too many in too short a time.
        const scope = keyShared ? 'user' : 'key';
        writeHeaders(res, tighter(key_, user_).budget);
        throw new RateLimitedError(scope, 1);
      }
      await this.fleet.nextSync();
    }
  }

  /** Whether this address has no failed authentications left (then: no lookups). */
  exhaustedAuthFailures(address: string, res: Response): boolean {
    const budget = this.authFailures.peek(this.bucket(address));
    if (budget.allowed) return false;
    writeHeaders(res, budget);
    return true;
  }

  /** Counts a failed authentication of this address (its answer carries that budget). */
  spendAuthFailure(address: string, res: Response): void {
    this.authFailures.charge(this.bucket(address), 1);
    writeHeaders(res, this.authFailures.peek(this.bucket(address)));
  }

  refuseAddress(address: string): RateLimitedError {
    return new RateLimitedError(
      'address',
      retryAfter(this.authFailures.peek(this.bucket(address)), this.authFailures.now()),
    );
  }
  private bucket(address: string): string {
    return addressBucket(address, this.ipv6Prefix);
  }

  private refuse(key: Budget, user: Budget, res: Response): never {
    const { budget, scope } = tighter(key, user);
    writeHeaders(res, budget);
    throw new RateLimitedError(scope, retryAfter(budget, this.perKey.now()));
  }

  private bucketsOf(caller: string): TokenBuckets {
    return caller.startsWith(USER_PREFIX) ? this.perUser : this.perKey;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.fleet.sync().finally(() => this.schedule(this.syncMs));
    }, delayMs);
    // The sync never keeps a process alive on its own (the CLI's commands build this module too).
    this.timer.unref();
  }
}

const ALONE: FleetMembership = { members: () => Promise.resolve(null) };
const NO_STORE: FleetUsageStore = {
  publish: () => Promise.resolve(),
  read: () => Promise.resolve(null),
  remove: () => Promise.resolve(),
};

const USER_PREFIX = 'user:';
const keyCaller = (keyId: number) => `key:${keyId}`;
const userCaller = (userId: number) => `${USER_PREFIX}${userId}`;

/** The budget that binds: a refused one (the later retry first), else the one with less left. */
function tighter(key: Budget, user: Budget): { budget: Budget; scope: 'key' | 'user' } {
  const userBinds =
    key.allowed !== user.allowed
      ? !user.allowed
      : !key.allowed
        ? user.retryAt > key.retryAt
        : user.remaining < key.remaining || (user.remaining === key.remaining && user.resetAt > key.resetAt);
  return userBinds ? { budget: user, scope: 'user' } : { budget: key, scope: 'key' };
}

const retryAfter = (budget: Budget, now: number) => Math.max(1, Math.ceil((budget.retryAt - now) / 1000));

function writeHeaders(res: Response, budget: Budget): void {
  res.setHeader('X-RateLimit-Limit', String(budget.limit));
  res.setHeader('X-RateLimit-Remaining', String(budget.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(budget.resetAt / 1000)));
}
