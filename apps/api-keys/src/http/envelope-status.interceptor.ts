import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, tap } from 'rxjs';
import { SuccessBody } from './envelope';

/**
 * A success body names its own status (`status.code`, e.g. 201, or 202 when a write is recorded
 * but not yet visible); this makes the HTTP status agree, so no controller sets it by hand.
 */
@Injectable()
export class EnvelopeStatusInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      tap((body: unknown) => {
        const code = (body as Partial<SuccessBody<unknown>> | undefined)?.status?.code;
        if (typeof code === 'number') context.switchToHttp().getResponse<Response>().status(code);
      }),
    );
  }
}
