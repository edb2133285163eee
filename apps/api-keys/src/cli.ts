import { USAGE, UsageError, parseCommandLine } from './cli/arguments';
import { loadConfigOrExit } from './config/config';

const EXIT_USAGE = 64;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Operator commands (`npm run cli -- ...`, see cli/arguments.ts). Results go to stdout, logs to
 * stderr. Each command's module is loaded only when it runs: `events tail` needs neither Nest nor
 * a database, and starts without loading them.
 */
async function main(argv: string[]): Promise<number> {
  const command = parseCommandLine(argv);
  const config = loadConfigOrExit(process.env);
  switch (command.command) {
    case 'bootstrap': {
      const { runBootstrap } = await import('./cli/bootstrap-command');
      return runBootstrap(config, command.email, command.name);
    }
    case 'rebuild': {
      const { runRebuild } = await import('./cli/rebuild-command');
      return runRebuild(config, command.database, command.verify);
    }
    case 'events tail': {
      const { tailEvents } = await import('./cli/events-tail');
      const stop = new Promise<void>((resolve) => {
        // The first Ctrl-C ends the tail cleanly; a second one does not wait for that.
        let received = 0;
        for (const signal of SIGNALS) process.on(signal, () => (++received === 1 ? resolve() : process.exit(130)));
        // `... | head`: the reader is gone, which is an ordinary way to stop.
        process.stdout.on('error', () => resolve());
      });
      return tailEvents(config.kafka, command, {
        out: process.stdout,
        note: (level, msg, context = {}) =>
          process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...context })}\n`),
        stop,
      });
    }
  }
}

/** Exits once stdout has been handed all it was given (process.exit alone may cut a pipe short). */
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    exit(EXIT_USAGE);
    return;
  }
  process.stderr.write(`cli failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exit(1);
});
