import { randomUUID } from 'node:crypto';
import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';

/** Who is calling: resolved from their API key by the auth guard. */
export interface Principal {
  readonly userId: number;
  readonly userEmail: string;
  /** The key the request authenticated with (its events' actor_key_id); null for an operator's bootstrap. */
  readonly keyId: number | null;
}

/** What bounds a request's work: a deadline, and the client still being there. */
export interface RequestBounds {
  /** Epoch milliseconds after which nothing more is started for this request. */
  readonly deadline: number;
  /** Aborted when the client goes away before its answer. */
  readonly signal: AbortSignal;
}

declare global {
  namespace Express {
    interface Request {
      bounds: RequestBounds;
      /** `performance.now()` when RequestMiddleware first saw the request: where its 404 floor counts from. */
      startedAt: number;
      /** The caller's X-Request-Id, or one we generated; it becomes the events' correlation_id. */
      requestId: string;
      principal?: Principal;
    }
  }
}

/** Printable ASCII only, bounded: the id is echoed in a header and written to logs and events. */
export const REQUEST_ID_PATTERN = '^[\\x21-\\x7e]{1,128}$';
const USABLE_REQUEST_ID = new RegExp(REQUEST_ID_PATTERN);

/** What an Idempotency-Key may be (the write path enforces it); also its pattern in the OpenAPI document. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && USABLE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** The request's id (X-Request-Id, or generated): the correlation_id of the events it causes. */
export const RequestId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => context.switchToHttp().getRequest<Request>().requestId,
);

/** The request's bounds (set by RequestMiddleware), for commands to carry. */
export const Bounds = createParamDecorator(
  (_: unknown, context: ExecutionContext): RequestBounds => context.switchToHttp().getRequest<Request>().bounds,
);
