import { Controller, Get, Headers, Param, UseGuards } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiRoute, KEY } from '../http/openapi';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { toView } from '../api-key-resource/api-key.view';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError } from '../errors';
import { Reply, success } from '../http/envelope';
import { etagOf, matches, parseEntityTags } from '../http/etags';
import { Principal } from '../http/request-context';
import { ApiKeyStates } from '../read-model/api-key-states';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class GetApiKeyController {
  constructor(private readonly states: ApiKeyStates) {}

  @Get(':id')
  @ApiRoute({
    summary: 'Get an API key',
    description: 'Carries `ETag: "<version>"`; with a matching `If-None-Match` the answer is 304 with no body.',
    headers: ['If-None-Match'],
    ok: { status: 200, description: 'The key; `key_value` is null.', data: KEY },
    notModified: true,
    errors: [400, 401, 403, 404, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async get(
    @Param('id', ApiKeyIdPipe) id: number,
    @Caller() caller: Principal,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ) {
    const key = await this.states.findOwned(id, caller.userId);
    if (!key) throw new ApiKeyNotFoundError();
    const etag = { ETag: etagOf(key.version) };
    const unchanged = parseEntityTags('If-None-Match', ifNoneMatch, true);
    // The client's copy is current: no body (RFC 9110, 304 Not Modified).
    if (unchanged && matches(unchanged, key.version)) return new Reply(null, etag, 304);
    return new Reply(success(200, 'API key retrieved successfully', toView(key)), etag);
  }
}
