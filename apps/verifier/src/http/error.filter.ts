import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { failure } from './envelope';

/** The routes Nest serves (health, metrics, unknown paths) answer errors in the API's envelope too. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const status = error instanceof HttpException ? error.getStatus() : 500;
    if (status === 500) this.logger.error({ msg: 'unexpected error', error: String(error) });
    const problem = status === 404 ? 'no such route' : status === 500 ? 'an unexpected error occurred' : String(error);
    res
      .status(status)
      .setHeader('Cache-Control', 'no-store')
      .setHeader('X-Content-Type-Options', 'nosniff')
      .json(failure(status, status === 404 ? 'Not found' : 'Error', [problem], 'See errors.'));
  }
}
