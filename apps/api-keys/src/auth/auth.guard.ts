import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { PublicKeyForbiddenError, UnauthenticatedError } from '../errors';
import { ApiKeyStates } from '../read-model/api-key-states';
import { Principal } from '../http/request-context';
import { hashSecret, looksLikeSecret } from './api-key-secret';

function presentedKey(req: Request): string | null {
  const header = req.headers['x-api-key'];
  // An empty X-API-Key is treated as absent, so a client's blank default header does not hide
  // the key it sends as a bearer token.
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : '';
  }
  return null;
}

/**
 * Authenticates every /api/v1 request by the hash of its API key. Every route here manages keys,
 * which public keys may not do. A revoked key fails at once: the lookup reads the projected
 * state (cached only by the instance that projects it), and DELETE answers only after its event
 * is projected.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly states: ApiKeyStates) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const secret = presentedKey(req);
    if (secret === null) throw new UnauthenticatedError('no API key: send X-API-Key or Authorization: Bearer');
    if (!looksLikeSecret(secret)) throw new UnauthenticatedError('the API key is malformed');
    const key = await this.states.findLiveByHash(hashSecret(secret));
    if (!key) throw new UnauthenticatedError('the API key is unknown or revoked');
    if (key.key_type !== 'private') throw new PublicKeyForbiddenError();
    req.principal = { userId: key.user_id, userEmail: key.user_email };
    return true;
  }
}

/** The authenticated caller of this request (set by AuthGuard). */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<Request>().principal;
  if (!principal) throw new UnauthenticatedError('no API key');
  return principal;
});
