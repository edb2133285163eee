import { createHash } from 'node:crypto';
import { BadHeaderError, EntityTags, parseEntityTags } from '../http/etags';
import { IDEMPOTENCY_KEY_PATTERN, Principal, RequestBounds } from '../http/request-context';

/** An Idempotency-Key and the fingerprint of the request it came with. */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

/** What a write request made its command conditional on, or asked of it, beyond its body. */
export interface RequestConditions {
  /** If-Match: the versions the client expects the key to be at. */
  readonly ifMatch?: EntityTags;
  /** Idempotency-Key, with the fingerprint of this request. */
  readonly idempotency?: IdempotencyRequest;
  /** `?dry_run=true`: decide and show, record nothing. */
  readonly dryRun?: boolean;
}

/** What every write carries besides its command: who asks, the request's id, bounds and conditions. */
export interface WriteRequest {
  readonly caller: Principal;
  /** The request's X-Request-Id: its events' correlation_id. */
  readonly correlationId: string;
  readonly bounds: RequestBounds;
  readonly conditions: RequestConditions;
}

const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);
const IDEMPOTENCY_KEY_RULE = '1 to 255 printable ASCII characters (! to ~, no spaces), such as a UUID';

/**
 * The conditions of a write from its headers: If-Match, and Idempotency-Key with the fingerprint
 * of everything that makes this request this request (method, key, body, If-Match), so a retry can
 * be told from a different request that reuses the key.
 */
export function requestConditions(request: {
  readonly method: string;
  readonly keyId?: number;
  readonly body?: unknown;
  readonly ifMatch?: string;
  readonly idempotencyKey?: string;
  readonly dryRun?: boolean;
}): RequestConditions {
  const { idempotencyKey } = request;
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new BadHeaderError('Idempotency-Key', 'must be 1 to 255 printable ASCII characters', IDEMPOTENCY_KEY_RULE);
  }
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([request.method, request.keyId ?? null, request.body ?? null, request.ifMatch ?? null]))
    .digest('hex');
  return {
    ifMatch: parseEntityTags('If-Match', request.ifMatch, false),
    ...(idempotencyKey !== undefined && { idempotency: { key: idempotencyKey, fingerprint } }),
    ...(request.dryRun && { dryRun: true }),
  };
}
