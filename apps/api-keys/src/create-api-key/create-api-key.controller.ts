import { Body, Controller, Headers, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiRoute, KEY } from '../http/openapi';
import { CommandBus } from '@nestjs/cqrs';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { Reply } from '../http/envelope';
import { etagOf } from '../http/etags';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { WriteResult } from '../write-path/command-flow';
import { receiptHeader } from '../write-path/write-reply';
import { requestConditions } from '../write-path/write-request';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyRequest } from './create-api-key.request';
import { createdBody } from './created-body';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class CreateApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiRoute({
    summary: 'Create an API key',
    description:
      'The answer shows the secret `key_value` this once; only its SHA-256 is kept. A retry with the same ' +
      'Idempotency-Key gets the key the first attempt created, with `key_value` null.',
    body: 'CreateApiKeyRequest',
    ok: { status: 201, description: 'Created; `data.key_value` is the secret.', data: KEY },
    receipt: true,
    accepted: {
      description: 'Recorded, not yet usable: `data` is the new key, with its `key_value`; retry using it in a moment.',
      data: KEY,
    },
    headers: ['Idempotency-Key'],
    errors: [400, 401, 403, 413, 415, 422, 429, 503],
  })
  async create(
    @Body(new ValidBody(CreateApiKeyRequest)) body: CreateApiKeyRequest,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const conditions = requestConditions({ method: 'POST', body: body.api_key, idempotencyKey });
    const result = await this.commands.execute<CreateApiKeyCommand, WriteResult>(
      new CreateApiKeyCommand(body.api_key, { caller, correlationId: requestId, bounds, conditions }),
    );
    const reply = createdBody(result);
    return result.kind === 'done'
      ? new Reply(reply, { ETag: etagOf(result.version), ...receiptHeader(result) })
      : reply;
  }
}
