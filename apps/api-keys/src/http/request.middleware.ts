import { Inject, Injectable, Logger, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/config';
import { MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import { requestIdFrom } from './request-context';

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Runs first on every request: tags it with its request id, logs it when it finishes, then
 * parses a JSON body under the size limit. Parsing lives here rather than in Express's own parser so that its failures (415,
 * 400, 413) go through the one error filter and come out in the documented envelope.
 */
@Injectable()
export class RequestMiddleware implements NestMiddleware {
  private readonly parse: express.RequestHandler;
  private readonly logger = new Logger('http');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.parse = express.json({ limit: config.httpBodyLimitBytes, strict: false, type: () => true }); // not strict: valid JSON that is no object gets a 422 from ValidBody, not a "malformed" 400
  }

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    req.requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', req.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.logger.log({
        msg: 'request',
        requestId: req.requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      });
    });
    if (METHODS_WITH_BODY.has(req.method)) {
      if (!JSON_TYPE.test(req.headers['content-type'] ?? ''))
        throw new UnsupportedMediaTypeError(req.headers['content-type']);
      await new Promise<void>((resolve, reject) => {
        this.parse(req, res, (error?: unknown) => (error ? reject(this.translate(error)) : resolve()));
      });
    }
    next();
  }

  private translate(error: unknown): Error {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') return new PayloadTooLargeError(this.config.httpBodyLimitBytes);
    if (type === 'entity.parse.failed') return new MalformedJsonError();
    if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      return new UnsupportedMediaTypeError(undefined);
    return error instanceof Error ? error : new Error(String(error));
  }
}
