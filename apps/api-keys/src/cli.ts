import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadConfigOrExit } from './config/config';
import { bootstrapKey } from './bootstrap/bootstrap';
import { ValidationFailedError } from './errors';
import { stderrJsonLogger } from './logging';
import { InvalidEmailError } from './users/users';

const USAGE = 'usage: npm run cli -- bootstrap --email <email> [--name <key name>]';
const EXIT_USAGE = 64;

/**
 * Operator command: `bootstrap --email` creates the user if new and a fresh private key for them,
 * through the same command and event as POST /api/v1/api_keys, and prints that endpoint's body as
 * one JSON line on stdout. Logs go to stderr. It does not join the projector's consumer group;
 * it waits for a running service's projector to apply the key (via the shared checkpoints).
 */
async function main(argv: string[]): Promise<number> {
  let email: string | undefined;
  let name: string | undefined;
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { email: { type: 'string' }, name: { type: 'string' } },
    });
    if (positionals.length !== 1 || positionals[0] !== 'bootstrap' || !values.email)
      throw new Error('missing command or --email');
    email = values.email;
    name = values.name;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const config = loadConfigOrExit(process.env);
  const app = await NestFactory.createApplicationContext(AppModule.register(config, { projector: false }), {
    logger: stderrJsonLogger(config.logLevel),
    abortOnError: false,
  });
  try {
    const body = await bootstrapKey(app, email, name);
    process.stdout.write(`${JSON.stringify(body)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ValidationFailedError) process.stderr.write(`${error.errors.join('\n')}\n${USAGE}\n`);
    else if (error instanceof InvalidEmailError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else throw error;
    return EXIT_USAGE;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bootstrap failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
