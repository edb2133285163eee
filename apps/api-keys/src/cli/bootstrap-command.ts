import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { bootstrapKey } from '../bootstrap/bootstrap';
import { AppConfig } from '../config/config';
import { ValidationFailedError } from '../errors';
import { stderrJsonLogger } from '../logging';
import { InvalidEmailError } from '../users/users';
import { UsageError } from './arguments';

/**
 * `bootstrap --email` creates the user if new and a fresh private key for them, through the same
 * command and event as POST /api/v1/api_keys, and prints that endpoint's body as one JSON line on
 * stdout. Logs go to stderr. It does not join the projector's consumer group; it waits for a
 * running service's projector to apply the key (via the shared checkpoints).
 */
export async function runBootstrap(config: AppConfig, email: string, name?: string): Promise<number> {
  const app = await NestFactory.createApplicationContext(AppModule.register(config, { projector: false }), {
    logger: stderrJsonLogger(config.logLevel),
    abortOnError: false,
  });
  try {
    const body = await bootstrapKey(app, email, name);
    process.stdout.write(`${JSON.stringify(body)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ValidationFailedError) throw new UsageError(error.errors.join('\n'));
    if (error instanceof InvalidEmailError) throw new UsageError(error.message);
    throw error;
  } finally {
    await app.close();
  }
}
