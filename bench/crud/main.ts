import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../../apps/api-keys/src/config/config';
import { BoundedExpressAdapter } from '../../apps/api-keys/src/http/bounded-express-adapter';
import { useRequestMiddleware } from '../../apps/api-keys/src/http/http-stack';
import { jsonLogger } from '../../apps/api-keys/src/logging';
import { CrudModule } from './crud.module';

/** Entry of the CRUD baseline server; bench/run.js starts it with PORT and MONGODB_URI set. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = jsonLogger(config.logLevel);
  // As the service's createHttpApp (keep in step with it): the same bounded adapter, no Express body
  // parser, the same request middleware, prefix and logger.
  const app = await NestFactory.create(CrudModule.register(config), new BoundedExpressAdapter(config.http), {
    bodyParser: false,
    logger,
    forceCloseConnections: true,
    abortOnError: false,
  });
  useRequestMiddleware(app);
  app.setGlobalPrefix('api/v1');
  app.enableShutdownHooks();
  await app.listen(config.port, '127.0.0.1');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `crud baseline failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
