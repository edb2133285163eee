import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable, map } from 'rxjs';
import { Reply, SuccessBody } from './envelope';

/**
 * A success body names its own status (`status.code`, e.g. 201, or 202 when a write is recorded
 * but not yet visible); this makes the HTTP status agree, and sends a Reply's own headers, so no
 * controller touches the response.
 */
@Injectable()
export class ReplyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((value: unknown) => {
        const reply = value instanceof Reply ? value : new Reply(value as SuccessBody<unknown> | null);
        for (const [name, header] of Object.entries(reply.headers)) res.setHeader(name, header);
        const code = reply.status ?? reply.body?.status?.code;
        if (typeof code === 'number') res.status(code);
        return reply.body ?? undefined;
      }),
    );
  }
}
