import { RequestListener, createServer } from 'node:http';
import { Socket } from 'node:net';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig } from '../config/config';
import { SAFE_ANSWER_HEADERS, answerClientErrors } from './client-errors';

// How often Node looks for connections past their header or request deadline (its default, 30 s,
// would let a trickling client hold a connection for up to 30 s past its deadline).
const DEADLINE_CHECK_MS = 1000;

/**
 * Express as Nest runs it, on an HTTP server with deliberate limits: all headers within
 * HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS, idle keep-alive
 * connections closed after HTTP_KEEP_ALIVE_TIMEOUT_MS, at most HTTP_MAX_CONNECTIONS open. Node's
 * defaults leave a client that trickles its headers byte by byte connected for minutes. Every
 * answer, the parser's early errors included, carries nosniff and no-store.
 */
export class BoundedExpressAdapter extends ExpressAdapter {
  constructor(private readonly limits: AppConfig['http']) {
    super();
    const app = this.getInstance<{
      disable(setting: string): void;
      set(setting: string, value: unknown): void;
      use(handler: (req: Request, res: Response, next: NextFunction) => void): void;
    }>();
    app.disable('x-powered-by');
    // Express's weak ETags would sit on answers carrying a secret; ETags are ours to give.
    app.set('etag', false);
    // First of all handlers, so every answer has them: Nest's middleware never runs for a path
    // no route matches, and a 404 went out without them.
    app.use((_req, res, next) => {
      for (const [name, value] of Object.entries(SAFE_ANSWER_HEADERS)) res.setHeader(name, value);
      next();
    });
  }

  override initHttpServer(): void {
    const server = createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        keepAliveTimeout: this.limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: DEADLINE_CHECK_MS,
      },
      this.getInstance<RequestListener>(),
    );
    server.maxConnections = this.limits.maxConnections;
    // Node times a request's headers only once its first byte arrives: a connection that never
    // sends anything would stay open. Give it the same deadline.
    server.on('connection', (socket: Socket) => {
      const silent = setTimeout(() => socket.destroy(), this.limits.headersTimeoutMs);
      socket.once('data', () => clearTimeout(silent));
      socket.once('close', () => clearTimeout(silent));
    });
    answerClientErrors(server);
    this.setHttpServer(server);
  }
}
