import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import express, { Request, Response } from 'express';
import { Observable, from, switchMap } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ClientGoneError, MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const OPTIONAL_BODY = 'api-keys:optional-body';
/** A route whose body may be left out: a request without one then needs no Content-Type. */
export const OptionalBody = () => SetMetadata(OPTIONAL_BODY, true);

/** Whether the request carries no body at all (no length, or length 0, and no chunked encoding). */
const hasNoBody = (req: Request) =>
  req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';

/** Far deeper than any valid body (which nests three levels), far shallower than a stack. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit`; iterative, so no input can overflow it. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * Reads a JSON body once the request is routed and authenticated, so that an unknown path answers
 * 404 or 405 and an unknown caller 401 before their bytes are read. Every way a body can be wrong
 * is a 4xx in the documented envelope: not JSON (415, naming what was sent), a charset or
 * Content-Encoding we do not read (415), bytes that do not decode (400), too large (413), nested
 * deeper than MAX_JSON_DEPTH (400).
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly parse: express.RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'httpBodyLimitBytes'>) {
    // Not strict: valid JSON that is no object gets a 422 from ValidBody, not a "malformed" 400.
    this.parse = express.json({ limit: config.httpBodyLimitBytes, strict: false, type: () => true });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (!METHODS_WITH_BODY.has(req.method)) return next.handle();
    if (hasNoBody(req) && Reflect.getMetadata(OPTIONAL_BODY, context.getHandler()) === true) return next.handle();
    return from(this.read(req, http.getResponse<Response>())).pipe(switchMap(() => next.handle()));
  }

  private async read(req: Request, res: Response): Promise<void> {
    const type = req.headers['content-type'];
    if (!JSON_TYPE.test(type ?? '')) throw UnsupportedMediaTypeError.contentType(type);
    await new Promise<void>((resolve, reject) => {
      this.parse(req, res, (error?: unknown) => (error ? reject(this.translate(error, req)) : resolve()));
    });
    if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
      throw new MalformedJsonError(`the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
  }

  private translate(error: unknown, req: Request): Error {
    const { type, status } = error as { type?: string; status?: number };
    switch (type) {
      case 'entity.too.large':
        return new PayloadTooLargeError(this.config.httpBodyLimitBytes);
      case 'entity.parse.failed':
        return new MalformedJsonError();
      case 'charset.unsupported':
        return UnsupportedMediaTypeError.charset(req.headers['content-type']);
      case 'encoding.unsupported':
        return UnsupportedMediaTypeError.encoding(req.headers['content-encoding']);
      case 'request.aborted':
        return new ClientGoneError();
    }
    // Bytes that do not inflate, a body shorter than its Content-Length...: the client's doing.
    if (status !== undefined && status >= 400 && status < 500) {
      return new MalformedJsonError(`the request body could not be read: ${(error as Error).message}`);
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}
