import { INestApplication, Provider } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { Metrics } from '../metrics/metrics';
import { RateLimits } from '../rate-limits/rate-limits';
import { ErrorFilter } from './error.filter';
import { JsonBodyInterceptor } from './json-body.interceptor';
import { ReplyInterceptor } from './reply.interceptor';
import { RequestMiddleware } from './request.middleware';
import { RouteTable } from './route-table';

/**
 * What every HTTP app of ours puts around its controllers: the one error filter, body parsing
 * after routing, replies with their headers, the rate budgets the auth guard draws on, and the
 * metrics the filter counts into. One list, so the bench's CRUD baseline answers exactly as the
 * service does (it drifted once: a baseline without the body interceptor refused every PUT).
 */
export const HTTP_STACK_PROVIDERS: Provider[] = [
  { provide: APP_FILTER, useClass: ErrorFilter },
  { provide: APP_INTERCEPTOR, useClass: ReplyInterceptor },
  { provide: APP_INTERCEPTOR, useClass: JsonBodyInterceptor },
  RateLimits,
  RouteTable,
  Metrics,
  RequestMiddleware,
];

/**
 * RequestMiddleware on every request, exactly once, before routing: also on unknown routes (their
 * 404 carries a request id too) and on the routes outside the global prefix. Not through Nest's
 * MiddlewareConsumer: with a global prefix and exclusions, forRoutes('*') registers the middleware
 * once per excluded path as well, and Express matches those by prefix, so `/health` ran it a
 * second time for `/health/ready` (two log lines per request) while `/nope` ran it never.
 * Call before the app is initialised (before listen), so that it precedes the routes.
 */
export function useRequestMiddleware(app: INestApplication): void {
  const middleware = app.get(RequestMiddleware);
  app.use(middleware.use.bind(middleware));
}
