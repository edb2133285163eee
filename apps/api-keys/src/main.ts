import 'reflect-metadata';
import { Server } from 'node:http';
import { loadConfigOrExit } from './config/config';
import { HealthController } from './health/health.controller';
import { createHttpApp, listen } from './http-app';
import { jsonLogger } from './logging';
import { BoundedShutdown, Ending } from './shutdown';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = jsonLogger(config.logLevel);
  const app = await createHttpApp(config, logger);
  await listen(app, config);
  // Our own signal handling rather than Nest's shutdown hooks: Nest waits for every hook however
  // long it takes (a projector batch stuck on a buried store held a SIGTERMed service for minutes)
  // and ignores a second signal.
  const shutdown = new BoundedShutdown(app.getHttpServer() as Server, {
    timeoutMs: config.shutdownTimeoutMs,
    onDraining: () => app.get(HealthController).beginShutdown(),
    closeApp: () => app.close(),
    log: {
      info: (msg, context) => logger.log({ msg, ...context }, 'shutdown'),
      warn: (msg, context) => logger.warn({ msg, ...context }, 'shutdown'),
      error: (msg, context) => logger.error({ msg, ...context }, 'shutdown'),
    },
    end: (ending: Ending) => {
      if ('code' in ending) process.exit(ending.code);
      // Die of the signal, as the shell expects of a process it stopped (exit status 128 + N).
      for (const signal of SIGNALS) process.removeAllListeners(signal);
      process.kill(process.pid, ending.signal);
    },
  });
  shutdown.listen(process, SIGNALS);
  logger.log({ msg: 'listening', host: config.host, port: config.port }, 'main');
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
