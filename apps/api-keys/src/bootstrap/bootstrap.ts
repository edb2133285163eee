import { randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CreateApiKeyCommand } from '../create-api-key/create-api-key.command';
import { CreateApiKeyRequest } from '../create-api-key/create-api-key.request';
import { createdBody } from '../create-api-key/created-body';
import { ValidBody } from '../http/body-validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Users } from '../users/users';
import { WriteResult } from '../write-path/command-flow';

/**
 * Creates the user if new, then a fresh private key for them through the same command (and so the
 * same event) as POST /api/v1/api_keys. Returns the body that endpoint would answer.
 */
export async function bootstrapKey(app: INestApplicationContext, email: string, name?: string) {
  const user = await app.get(Users).ensure(email);
  // The name obeys the same rules as in a POST body.
  const { api_key: fields } = new ValidBody(CreateApiKeyRequest).transform({
    api_key: { name: name ?? `Bootstrap key for ${user.email}`, key_type: 'private' },
  });
  const caller = { userId: user.id, userEmail: user.email, keyId: null };
  const bounds = {
    deadline: Date.now() + app.get<AppConfig>(APP_CONFIG).requestTimeoutMs,
    signal: new AbortController().signal,
  };
  const result = await app
    .get(CommandBus)
    .execute<CreateApiKeyCommand, WriteResult>(
      new CreateApiKeyCommand(fields, { caller, correlationId: randomUUID(), bounds, conditions: {} }),
    );
  return createdBody(result);
}
