import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { createHttpApp } from './http-app';
import { jsonLogger } from './logging';

const EXIT_BAD_CONFIG = 78; // EX_CONFIG from sysexits.h

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
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
