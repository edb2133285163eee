import { Body, Controller, Headers, Param, Put, Query, UseGuards } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ACCEPTED, ApiRoute, DRY_RUN, KEY } from '../http/openapi';
import { CommandBus } from '@nestjs/cqrs';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { WriteQuery } from '../http/write-query';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { WriteResult } from '../write-path/command-flow';
import { writeReply } from '../write-path/write-reply';
import { requestConditions } from '../write-path/write-request';
import { UpdateApiKeyCommand } from './update-api-key.command';
import { UpdateApiKeyRequest, changesOf } from './update-api-key.request';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class UpdateApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Put(':id')
  @ApiRoute({
    summary: 'Update an API key',
    description:
      'Changes the name, allowed origins and allowed assistants; the answer shows this very change, with the ' +
      'new ETag. With `?dry_run=true` it decides (owner, rules, If-Match) and answers 200 with `data.key`, the ' +
      'key as it would be, and `data.event`, the event it would append, recording nothing.',
    body: 'UpdateApiKeyRequest',
    ok: {
      status: 200,
      description:
        'The key with this change applied (or a later one); with `?dry_run=true`, `{key, event}`: the key as it ' +
        'would be and the event that would be appended.',
      data: { oneOf: [KEY, DRY_RUN] },
    },
    receipt: true,
    accepted: {
      description: 'Recorded, not yet visible in reads: `data` names the key and the event.',
      data: ACCEPTED,
    },
    headers: ['If-Match', 'Idempotency-Key'],
    errors: [400, 401, 403, 404, 412, 413, 415, 422, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  @ApiQuery({ name: 'dry_run', required: false, schema: { enum: ['true', 'false'] } })
  async update(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body(new ValidBody(UpdateApiKeyRequest)) body: UpdateApiKeyRequest,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Query(new ValidBody(WriteQuery, 'query')) query: WriteQuery,
  ) {
    const changes = changesOf(body);
    const dryRun = query.dry_run === 'true';
    const conditions = requestConditions({ method: 'PUT', keyId: id, body: changes, ifMatch, idempotencyKey, dryRun });
    const result = await this.commands.execute<UpdateApiKeyCommand, WriteResult>(
      new UpdateApiKeyCommand(id, changes, { caller, correlationId: requestId, bounds, conditions }),
    );
    return writeReply(result, 'API key updated successfully', 'API key update accepted');
  }
}
