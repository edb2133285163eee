import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { checkSecret } from '@app/domain';
import type { Request, Response } from 'express';
import { PublicKeyForbiddenError, UnauthenticatedError } from '../errors';
import { Principal } from '../http/request-context';
import { RateLimits } from '../rate-limits/rate-limits';
import { ApiKeyStates } from '../read-model/api-key-states';
import { UsageCounter } from '../usage/usage-counter';
import { hashSecret, secretShape } from '@app/access';

/** What a refused secret is told: only its holder can see that the key expired or is disabled. */
const REFUSALS = {
  not_found: 'the API key is unknown or revoked',
  expired: 'the API key has expired',
  disabled: 'the API key is disabled',
} as const;

/** The usage topic's code of a secret the API refused (the verifier's names for the same judgements). */
const USAGE_CODES = { expired: 'EXPIRED', disabled: 'DISABLED' } as const;

/** The key the request presents (X-API-Key or a bearer token), '' for an unusable one, null for none. */
function presentedKey(req: Request): string | null {
  const header = req.headers['x-api-key'];
  // An empty X-API-Key is treated as absent, so a client's blank default header does not hide
  // the key it sends as a bearer token.
  const apiKey = typeof header === 'string' && header.trim() !== '' ? header.trim() : null;
  const authorization = req.headers.authorization;
  const bearer = typeof authorization === 'string' ? (/^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? '') : null;
  if (apiKey !== null && bearer !== null && apiKey !== bearer) {
    // Which one was meant is a guess we do not make.
    throw new UnauthenticatedError('X-API-Key and Authorization name different keys: send one');
  }
  return apiKey ?? bearer;
}

/**
 * Authenticates every /api/v1 request by the hash of its API key, within budgets. A key of no shape
 * of ours, or whose checksum is wrong, is refused (401) before any lookup. An address that
 * has used up its failed authentications is refused before any lookup (429), and each key has a
 * request budget (429 past it); every answer from here on carries the X-RateLimit-* headers. Every
 * route manages keys, which public keys may not do. A revoked key fails at once: the lookup reads
 * the projected state, and DELETE answers only after its event is projected.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly limits: RateLimits,
    private readonly usage: UsageCounter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const address = req.socket.remoteAddress ?? 'unknown';
    try {
      const secret = presentedKey(req);
      if (secret === null) throw new UnauthenticatedError('no API key: send X-API-Key or Authorization: Bearer');
      const shape = secretShape(secret);
      if (shape === 'malformed') throw new UnauthenticatedError('the API key is malformed');
      // A typo or a made-up key: refused before any lookup, and spent from the address's budget
      // like any other failed authentication.
      if (shape === 'wrong_checksum') throw new UnauthenticatedError("the API key's checksum is wrong");
      const hash = hashSecret(secret);
      // Past its failed-authentication budget, an address gets no lookups: only keys this
      // instance already knows to be good still pass.
      const blocked = this.limits.exhaustedAuthFailures(address, res);
      const key = blocked ? this.states.knownLiveByHash(hash) : await this.states.findLiveByHash(hash);
      if (!key && blocked) throw this.limits.refuseAddress(address);
      // The one judgement of a secret (the domain's): current or previous, expiry, enabled.
      const now = Date.now();
      const verdict = checkSecret(key, hash, now);
      // A use of the key whose secret matched, refused or not (memory only; published in batches).
      // A secret that matched no key (not_found) names none to count.
      const code = verdict.valid ? 'VALID' : verdict.reason === 'not_found' ? null : USAGE_CODES[verdict.reason];
      if (key && code) this.usage.count(key.id, code, hash === key.key_hash ? 'current' : 'previous', now);
      if (!key || !verdict.valid)
        throw new UnauthenticatedError(REFUSALS[verdict.valid ? 'not_found' : verdict.reason]);
      await this.limits.spendRequest(key.id, key.user_id, res);
      if (key.key_type !== 'private') throw new PublicKeyForbiddenError();
      req.principal = { userId: key.user_id, userEmail: key.user_email, keyId: key.id };
      return true;
    } catch (error) {
      if (error instanceof UnauthenticatedError) this.limits.spendAuthFailure(address, res);
      throw error;
    }
  }
}

/** The authenticated caller of this request (set by AuthGuard). */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<Request>().principal;
  if (!principal) throw new UnauthenticatedError('no API key');
  return principal;
});
