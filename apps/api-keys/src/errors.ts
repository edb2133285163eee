// The errors the API answers with, each named and with a code. Code anywhere throws these; exactly
// one place (http/error.filter.ts) turns them into HTTP responses. The domain itself does not
// throw: its decisions return a Rejection, which rejectionError() names here.
import { Rejection } from '@app/domain';

export type ErrorCode =
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'validation_failed'
  | 'key_limit_reached'
  | 'malformed_json'
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
  constructor() {
    super(
      'malformed_json',
      'Malformed JSON in request body',
      ['the request body is not valid JSON'],
      'Send a valid JSON document.',
    );
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

export class UnsupportedMediaTypeError extends ApiError {
  constructor(contentType: string | undefined) {
    super(
      'unsupported_media_type',
      'Unsupported media type: send application/json',
      [`Content-Type ${contentType ? `"${contentType}"` : '(missing)'} is not application/json`],
      'Request bodies must be JSON with Content-Type: application/json.',
    );
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
  }
}
