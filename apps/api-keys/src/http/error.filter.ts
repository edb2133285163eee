import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProducerUnavailableError } from '@app/kafka';
import { APP_CONFIG, AppConfig } from '../config/config';
import {
  ApiError,
  ApiKeyNotFoundError,
  ErrorCode,
  EventLogUnavailableError,
  KeyBusyError,
  MethodNotAllowedError,
  RateLimitedError,
  ReadModelUnavailableError,
  RouteNotFoundError,
} from '../errors';
import { Metrics } from '../metrics/metrics';
import { failure } from './envelope';
import { holdUntilFloor } from './not-found-floor';
import { RouteTable } from './route-table';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  method_not_allowed: HttpStatus.METHOD_NOT_ALLOWED,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  key_busy: HttpStatus.TOO_MANY_REQUESTS,
  deadline_exceeded: HttpStatus.SERVICE_UNAVAILABLE,
  // Never seen by the client, who is gone; the request log shows it (nginx's "client closed request").
  client_gone: 499,
  validation_failed: HttpStatus.UNPROCESSABLE_ENTITY,
  key_limit_reached: HttpStatus.UNPROCESSABLE_ENTITY,
  precondition_failed: HttpStatus.PRECONDITION_FAILED,
  idempotency_key_reused: HttpStatus.UNPROCESSABLE_ENTITY,
  malformed_json: HttpStatus.BAD_REQUEST,
  bad_header: HttpStatus.BAD_REQUEST,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  event_log_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  read_model_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  not_ready: HttpStatus.SERVICE_UNAVAILABLE,
};

// The driver's ways of saying "the server is not there": these are outages, not bugs. A socket
// that dies mid-command can also surface as a bare Node socket error; raw socket errors can only
// come from the database driver, since every Kafka failure arrives wrapped by our producer.
const MONGO_OUTAGE =
  /^Mongo(ose)?(ServerSelection|Network|NetworkTimeout|NotConnected|PoolCleared|TopologyClosed)Error$/;
const SOCKET_FAILURE = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

// Duck-typed rather than `instanceof Error`: Node's socket errors may come from another realm.
const isDatabaseOutage = (error: unknown) => {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return (
    (typeof name === 'string' && MONGO_OUTAGE.test(name)) || (typeof code === 'string' && SOCKET_FAILURE.has(code))
  );
};

/**
 * The one place where errors become HTTP responses, always in the documented envelope. A 404 for
 * a key id the caller named (ApiKeyNotFoundError: another user's key, a deleted one, an id never
 * used) goes out no earlier than NOT_FOUND_FLOOR_MS after the request began, and never after its
 * deadline: whether the store found a document costs it a different time, and the floor makes
 * every such 404 take the same. The wait holds no lock, queue place or store connection: those are
 * released when the error is thrown, before it reaches here. No other answer waits.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(
    private readonly routes: RouteTable,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'notFoundFloorMs'>,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const error = this.toApiError(exception, request);
    const status = error ? STATUS_BY_CODE[error.code] : HttpStatus.INTERNAL_SERVER_ERROR;
    if (!error) {
      this.logger.error({
        msg: 'unhandled error',
        requestId: request.requestId,
        error: String(exception),
        code: (exception as NodeJS.ErrnoException)?.code,
        stack: (exception as Error)?.stack,
      });
    } else if (status >= 500) {
      this.logger.warn({ msg: error.message, requestId: request.requestId, cause: String(exception) });
    }
    for (const [name, value] of Object.entries(error?.headers ?? {})) response.setHeader(name, value);
    if (error instanceof RateLimitedError) this.metrics.refused.inc({ scope: error.scope });
    if (error instanceof KeyBusyError) this.metrics.refused.inc({ scope: 'queue' });
    const body = error
      ? failure(status, error.message, error.errors, error.details)
      : failure(
          status,
          'Internal server error',
          ['an unexpected error occurred'],
          `Quote request id ${request.requestId} when reporting this.`,
        );
    if (!(error instanceof ApiKeyNotFoundError) || this.config.notFoundFloorMs <= 0) {
      response.status(status).json(body);
      return;
    }
    // Without a start time (no RequestMiddleware in front), the floor counts from now: never shorter.
    const clock = {
      startedAt: request.startedAt ?? performance.now(),
      deadline: request.bounds?.deadline ?? Number.POSITIVE_INFINITY,
    };
    void holdUntilFloor(this.config.notFoundFloorMs, clock, request.bounds?.signal)
      .then(() => response.status(status).json(body))
      .catch((failed: unknown) =>
        this.logger.error({ msg: 'could not send a 404', requestId: request.requestId, error: String(failed) }),
      );
  }

  private toApiError(exception: unknown, request: Request): ApiError | null {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof ProducerUnavailableError) return new EventLogUnavailableError(exception.outcomeUnknown);
    if (isDatabaseOutage(exception)) return new ReadModelUnavailableError();
    if (
      exception instanceof NotFoundException ||
      (exception instanceof HttpException && exception.getStatus() === 405)
    ) {
      const allowed = this.routes.methodsOf(request.path);
      return allowed.length > 0
        ? new MethodNotAllowedError(request.method, request.path, allowed)
        : new RouteNotFoundError(request.method, request.path);
    }
    return null;
  }
}
