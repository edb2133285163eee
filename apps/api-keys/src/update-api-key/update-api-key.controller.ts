import { Body, Controller, Headers, Param, Put, UseGuards } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiRoute, KEY } from '../http/openapi';
import { CommandBus } from '@nestjs/cqrs';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { parseEntityTags } from '../http/etags';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { KeyCommandResult } from '../key-commands/key-command-flow';
import { keyCommandReply } from '../key-commands/key-command-reply';
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
    description: 'Changes the name, allowed origins and allowed assistants; the answer shows this very change.',
    body: 'UpdateApiKeyRequest',
    ok: { status: 200, description: 'The key with this change applied (or a later one).', data: KEY },
    accepted: 'Recorded, not yet visible in reads: `data` names the key and the event.',
    errors: [400, 401, 403, 404, 413, 415, 422, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async update(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body(new ValidBody(UpdateApiKeyRequest)) body: UpdateApiKeyRequest,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
    @Headers('if-match') ifMatch: string | undefined,
  ) {
    const expected = parseEntityTags('If-Match', ifMatch, false);
    const result = await this.commands.execute<UpdateApiKeyCommand, KeyCommandResult>(
      new UpdateApiKeyCommand(id, caller, changesOf(body), requestId, bounds, expected),
    );
    return keyCommandReply(result, 'API key updated successfully', 'API key update accepted');
  }
}
