import 'reflect-metadata';
import { loadConfigOrExit } from './config/config';
import { createVerifier } from './http-server';
import { jsonLogger } from './logging';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = jsonLogger(config.logLevel);
  if (config.token === null)
    logger.warn({ msg: 'VERIFIER_TOKEN is not set: the verify route is open to anyone who reaches it' }, 'main');
  const verifier = await createVerifier(config, logger);
  await verifier.listen(config.port, config.host);
  logger.log({ msg: 'listening', host: config.host, port: config.port }, 'main');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal: the operator does not want to wait.
    if (stopping) process.exit(1);
    stopping = true;
    logger.log({ msg: 'shutting down', signal }, 'main');
    setTimeout(() => {
      logger.error({ msg: 'shutdown took too long; exiting', timeoutMs: config.shutdownTimeoutMs }, 'main');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    verifier.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ msg: 'shutdown failed', error: String(error) }, 'main');
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
