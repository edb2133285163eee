// The errors the API answers with, each named and with a code. Code anywhere throws these; exactly
// one place (http/error.filter.ts) turns them into HTTP responses. The domain itself does not
// throw: its decisions return a Rejection, which rejectionError() names here.
import { Rejection } from '@app/domain';

export type ErrorCode =
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'rate_limited'
  | 'key_busy'
  | 'deadline_exceeded'
  | 'client_gone'
  | 'validation_failed'
  | 'key_limit_reached'
  | 'precondition_failed'
  | 'idempotency_key_reused'
  | 'malformed_json'
  | 'bad_header'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'event_log_unavailable'
  | 'read_model_unavailable'
  | 'not_ready';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors: readonly string[] = [message],
    readonly details: string = message,
    /** Response headers that belong to this answer (Allow, Retry-After...). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends ApiError {
  constructor(problem: string) {
    super(
      'unauthenticated',
      'Invalid or missing authentication',
      [problem],
      'Send a valid API key in X-API-Key or Authorization: Bearer.',
    );
  }
}

export class PublicKeyForbiddenError extends ApiError {
  constructor() {
    super(
      'forbidden',
      'Public keys cannot manage API keys',
      ['this route needs a private API key'],
      'Public keys are for client-side use; use a private key to manage API keys.',
    );
  }
}

export class ApiKeyNotFoundError extends ApiError {
  constructor() {
    super(
      'not_found',
      'API key not found',
      ['no API key with this id belongs to you'],
      'The key does not exist, was deleted, or belongs to another user.',
    );
  }
}

/** If-Match named another version than the key has (or, decided by the log, another write got in first). */
export class PreconditionFailedError extends ApiError {
  constructor(readonly currentVersion: number) {
    super(
      'precondition_failed',
      'Precondition failed: the key has changed',
      [`the key is at version ${currentVersion}, not the one If-Match names`],
      'Read the key again, then retry with its current ETag.',
      { ETag: `"${currentVersion}"` },
    );
  }
}

/** An Idempotency-Key already used for another request, within its window. Nothing was done. */
export class IdempotencyKeyReusedError extends ApiError {
  constructor() {
    super(
      'idempotency_key_reused',
      'Validation failed: Idempotency-Key already used for a different request',
      ['this Idempotency-Key was used for a different request (another key, body, method or If-Match)'],
      'Use a new Idempotency-Key for a new request; reuse one only to retry the very same request.',
    );
  }
}

export class KeyLimitReachedError extends ApiError {
  constructor(limit: number) {
    super(
      'key_limit_reached',
      'Validation failed: key limit reached',
      [`a user may hold at most ${limit} live API keys`],
      'Delete keys you no longer use, then create the new one.',
    );
  }
}

export class RouteNotFoundError extends ApiError {
  constructor(method: string, path: string) {
    super(
      'not_found',
      'Route not found',
      [`${method} ${path} is not a route of this API`],
      'See the API reference for the available routes.',
    );
  }
}

export class SchemaNotFoundError extends ApiError {
  constructor(name: string, known: readonly string[]) {
    super(
      'not_found',
      'Schema not found',
      [`${name} is not a schema file of this service`],
      `The schemas are ${known.join(', ')}.`,
    );
  }
}

export class MethodNotAllowedError extends ApiError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(
      'method_not_allowed',
      'Method not allowed',
      [`${method} is not allowed on ${path}`],
      `This path accepts ${allowed.join(', ')}.`,
      { Allow: allowed.join(', ') },
    );
  }
}

/** Over a rate limit: `scope` says whose budget ran out. Nothing was done. */
const RATE_LIMITED_REASONS = {
  key: 'this API key has used its request budget for the current window',
  user: 'this user has used the request budget of all their keys together for the current window',
  address: 'too many failed authentications from this address',
};

export class RateLimitedError extends ApiError {
  constructor(
    readonly scope: 'key' | 'user' | 'address',
    retryAfterSeconds: number,
  ) {
    super(
      'rate_limited',
      'Too many requests',
      [RATE_LIMITED_REASONS[scope]],
      `Nothing was done; retry after ${retryAfterSeconds} s (see X-RateLimit-Reset).`,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

/** Too many commands already wait for this key (or this user's creates) here. Nothing was recorded. */
export class KeyBusyError extends ApiError {
  constructor() {
    super(
      'key_busy',
      'Too many requests: this key is busy',
      ['too many changes to this key are already waiting'],
      'Nothing was recorded; retry in a moment.',
      { 'Retry-After': '1' },
    );
  }
}

/** The request's deadline passed before its event could be recorded. */
export class DeadlineExceededError extends ApiError {
  constructor() {
    super(
      'deadline_exceeded',
      'Service unavailable: the request ran out of time',
      ['the change could not be recorded within the request deadline'],
      'Nothing was recorded; retry later.',
      { 'Retry-After': '1' },
    );
  }
}

/** The client went away before its command's turn; nothing is recorded and nobody is answered. */
export class ClientGoneError extends ApiError {
  constructor() {
    super('client_gone', 'Client closed the request', ['the client disconnected before the change was made']);
  }
}

export class ValidationFailedError extends ApiError {
  constructor(problems: readonly string[], part: 'request body' | 'query' = 'request body') {
    super(
      'validation_failed',
      `Validation failed: invalid ${part}`,
      problems,
      part === 'query'
        ? 'Fix the listed parameters and send the request again.'
        : 'Fix the listed fields and send the request again.',
    );
  }
}

export class MalformedJsonError extends ApiError {
  constructor(problem = 'the request body is not valid JSON') {
    super('malformed_json', 'Malformed JSON in request body', [problem], 'Send a valid JSON document.');
  }
}

export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(
      'payload_too_large',
      'Request body too large',
      [`the request body exceeds ${limitBytes} bytes`],
      `Bodies are limited to ${limitBytes} bytes.`,
    );
  }
}

/** A header value as the client sent it, bounded and printable, to name it in an answer. */
const quoted = (value: string) => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

export class UnsupportedMediaTypeError extends ApiError {
  private constructor(problem: string) {
    super(
      'unsupported_media_type',
      'Unsupported media type: send application/json',
      [problem],
      'Request bodies must be JSON (UTF-8) with Content-Type: application/json, optionally gzip- or deflate-encoded.',
    );
  }

  static contentType(sent: string | undefined) {
    return new UnsupportedMediaTypeError(`Content-Type ${sent ? quoted(sent) : '(missing)'} is not application/json`);
  }

  static charset(sent: string | undefined) {
    return new UnsupportedMediaTypeError(`the charset of Content-Type ${quoted(sent ?? '')} is not UTF-8`);
  }

  static encoding(sent: string | undefined) {
    return new UnsupportedMediaTypeError(`Content-Encoding ${quoted(sent ?? '')} is not supported`);
  }
}

export class EventLogUnavailableError extends ApiError {
  constructor(outcomeUnknown: boolean) {
    super(
      'event_log_unavailable',
      'Service unavailable: the event log (Kafka) cannot be reached',
      ['the change could not be recorded right now'],
      outcomeUnknown
        ? 'The event was handed to Kafka but not acknowledged in time; it may still be applied. Read the key before retrying.'
        : 'Nothing was recorded; retry later.',
    );
  }
}

export class ReadModelUnavailableError extends ApiError {
  constructor() {
    super(
      'read_model_unavailable',
      'Service unavailable: the database (MongoDB) cannot be reached',
      ['the key store could not be read or written right now'],
      'Retry later.',
    );
  }
}

export class NotReadyError extends ApiError {
  constructor(problems: readonly string[]) {
    super('not_ready', 'Service not ready', problems, 'A dependency is down or still starting; see errors.');
  }
}

/** The API's answer to a command the domain rejected. */
export function rejectionError(rejection: Rejection): ApiError {
  switch (rejection.reason) {
    case 'key_not_found':
      return new ApiKeyNotFoundError();
    case 'key_limit_reached':
      return new KeyLimitReachedError(rejection.limit);
    case 'version_mismatch':
      return new PreconditionFailedError(rejection.current);
    case 'expiry_not_in_future':
      return new ValidationFailedError(['api_key.expires_at must be in the future']);
  }
}
