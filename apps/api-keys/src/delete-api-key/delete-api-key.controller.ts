import { Controller, Delete, Headers, Param, UseGuards } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ACCEPTED, ApiRoute, KEY } from '../http/openapi';
import { CommandBus } from '@nestjs/cqrs';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { WriteResult } from '../write-path/command-flow';
import { writeReply } from '../write-path/write-reply';
import { requestConditions } from '../write-path/write-request';
import { DeleteApiKeyCommand } from './delete-api-key.command';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class DeleteApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Delete(':id')
  @ApiRoute({
    summary: 'Revoke an API key',
    description: 'The key stops authenticating before this answers.',
    ok: { status: 200, description: 'The revoked key as it was.', data: KEY },
    receipt: true,
    accepted: {
      description: 'Recorded, not yet visible in reads: `data` names the key and the event.',
      data: ACCEPTED,
    },
    headers: ['If-Match', 'Idempotency-Key'],
    errors: [400, 401, 403, 404, 412, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async delete(
    @Param('id', ApiKeyIdPipe) id: number,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const conditions = requestConditions({ method: 'DELETE', keyId: id, ifMatch, idempotencyKey });
    const result = await this.commands.execute<DeleteApiKeyCommand, WriteResult>(
      new DeleteApiKeyCommand(id, { caller, correlationId: requestId, bounds, conditions }),
    );
    return writeReply(result, 'API key deleted successfully', 'API key deletion accepted');
  }
}
