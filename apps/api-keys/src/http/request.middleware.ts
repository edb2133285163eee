import { Inject, Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Metrics } from '../metrics/metrics';
import { requestIdFrom } from './request-context';

/**
 * Runs first on every routed request: tags it with its request id, gives it its bounds (a
 * deadline, and a signal that fires when the client goes away before its answer), and logs it
 * when it ends. The headers every answer carries are set before it (BoundedExpressAdapter). Bodies are parsed later, once the route and the caller are
 * known (JsonBodyInterceptor).
 */
@Injectable()
export class RequestMiddleware implements NestMiddleware {
  private readonly logger = new Logger('http');

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'requestTimeoutMs'>,
    private readonly metrics: Metrics,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    req.startedAt = performance.now();
    req.requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', req.requestId);
    const abort = new AbortController();
    req.bounds = { deadline: Date.now() + this.config.requestTimeoutMs, signal: abort.signal };
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
      const line = { requestId: req.requestId, method: req.method, path: req.path, ms };
      if (res.writableFinished) {
        // The route's template, never the path itself: ids would make a series per key.
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        const labels = { method: req.method, route, status: String(res.statusCode) };
        this.metrics.requestDuration.observe(labels, ms / 1000);
        return this.logger.log({ msg: 'request', ...line, status: res.statusCode });
      }
      abort.abort();
      // A client that hangs up is ordinary (timeouts, navigation): information, not an error.
      this.logger.log({ msg: 'client closed the connection before the answer', ...line });
    });
    next();
  }
}
