import 'reflect-metadata';
import { loadConfigOrExit } from './config/config';
import { createHttpApp } from './http-app';
import { jsonLogger } from './logging';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = jsonLogger(config.logLevel);
  const app = await createHttpApp(config, logger);
  app.enableShutdownHooks();
  await app.listen(config.port);
  logger.log({ msg: 'listening', port: config.port }, 'main');
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
