import { Body, Controller, Headers, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { Reply, success } from '../http/envelope';
import { OptionalBody } from '../http/json-body.interceptor';
import { ApiRoute, KEY } from '../http/openapi';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { WriteResult } from '../write-path/command-flow';
import { writeReply } from '../write-path/write-reply';
import { requestConditions } from '../write-path/write-request';
import { RollApiKeyCommand } from './roll-api-key.command';
import { RollApiKeyRequest } from './roll-api-key.request';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class RollApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Post(':id/roll')
  @HttpCode(200)
  @OptionalBody()
  @ApiRoute({
    summary: 'Roll an API key',
    description:
      'Gives the key a new secret, shown in `key_value` this once. The secret it replaces keeps working for ' +
      '`expire_previous_in_seconds` (0 to 604800, default 0: it stops at once); `previous_key_expires_at` says ' +
      'until when. Rolling again during that grace ends the earlier previous secret at once. Neither ' +
      '`expires_at` nor `enabled` changes. The body is optional. A retry with the same Idempotency-Key answers ' +
      'the key with `key_value` null; with a grace of 0 and made with the rolled secret, a retry is 401, since ' +
      'that secret is gone.',
    body: 'RollApiKeyRequest',
    bodyOptional: true,
    ok: { status: 200, description: 'The key with its new secret in `key_value`.', data: KEY },
    receipt: true,
    accepted: {
      description: 'Recorded, not yet usable: `data` is the key with its new secret; use it in a moment.',
      data: KEY,
    },
    headers: ['If-Match', 'Idempotency-Key'],
    errors: [400, 401, 403, 404, 412, 413, 415, 422, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async roll(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body() raw: unknown,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const body = new ValidBody(RollApiKeyRequest).transform(raw ?? {});
    const grace = body.expire_previous_in_seconds ?? 0;
    const conditions = requestConditions({ method: 'POST', keyId: id, body: { roll: grace }, ifMatch, idempotencyKey });
    const result = await this.commands.execute<RollApiKeyCommand, WriteResult>(
      new RollApiKeyCommand(id, grace, { caller, correlationId: requestId, bounds, conditions }),
    );
    // Not yet visible, yet the new secret must reach its caller now: it is shown nowhere else.
    if (result.kind === 'accepted' && result.key) {
      return new Reply(success(202, 'API key roll accepted; the new secret works in a moment', result.key));
    }
    return writeReply(result, 'API key rolled successfully', 'API key roll accepted');
  }
}
