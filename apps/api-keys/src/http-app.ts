import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppConfig } from './config/config';
import { BoundedExpressAdapter } from './http/bounded-express-adapter';
import { useRequestMiddleware } from './http/http-stack';
import { serveOpenApi } from './http/openapi';

/** The HTTP service with its projector, as `npm start` runs it (tests boot the very same thing). */
export async function createHttpApp(config: AppConfig, logger: LoggerService): Promise<INestApplication> {
  // Express's own body parser is off: JsonBodyInterceptor parses, so its errors use our envelope.
  const app = await NestFactory.create(
    AppModule.register(config, { projector: true }),
    new BoundedExpressAdapter(config.http),
    {
      bodyParser: false,
      logger,
      // Throw instead of process.exit: the caller (main, a test) decides what a failed start means.
      abortOnError: false,
    },
  );
  useRequestMiddleware(app);
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/ready', 'health/live', 'metrics', 'schemas/:name'] });
  serveOpenApi(app);
  return app;
}

/** Listens where the config says (HOST, PORT), as `npm start` and the container do. */
export async function listen(app: INestApplication, config: Pick<AppConfig, 'host' | 'port'>): Promise<void> {
  await app.listen(config.port, config.host);
}
