import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { AppModule } from './app.module';
import { ConfigError, loadConfig } from './config/config';
import { CreateApiKeyCommand } from './create-api-key/create-api-key.command';
import { CreateApiKeyResult } from './create-api-key/create-api-key.handler';
import { createdBody } from './create-api-key/created-body';
import { stderrJsonLogger } from './logging';
import { InvalidEmailError, Users } from './users/users';

const USAGE = 'usage: npm run cli -- bootstrap --email <email> [--name <key name>]';
const EXIT_USAGE = 64;
const EXIT_BAD_CONFIG = 78;

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
    const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { email: { type: 'string' }, name: { type: 'string' } } });
    if (positionals.length !== 1 || positionals[0] !== 'bootstrap' || !values.email) throw new Error('missing command or --email');
    email = values.email;
    name = values.name;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_BAD_CONFIG;
  }
  const app = await NestFactory.createApplicationContext(AppModule.register(config, { projector: false }), { logger: stderrJsonLogger(config.logLevel) });
  try {
    const user = await app.get(Users).ensure(email);
    const result = await app.get(CommandBus).execute<CreateApiKeyCommand, CreateApiKeyResult>(
      new CreateApiKeyCommand(
        { userId: user._id, userEmail: user.email },
        { name: name ?? `Bootstrap key for ${user.email}`, key_type: 'private', allowed_origins: [], allowed_assistants: [], transient_assistant: false },
        randomUUID(),
      ),
    );
    process.stdout.write(`${JSON.stringify(createdBody(result))}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof InvalidEmailError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return EXIT_USAGE;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bootstrap failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
