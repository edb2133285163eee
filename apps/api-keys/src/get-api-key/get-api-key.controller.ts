import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiRoute, KEY } from '../http/openapi';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { toView } from '../api-key-resource/api-key.view';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError } from '../errors';
import { success } from '../http/envelope';
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
    ok: { status: 200, description: 'The key; `key_value` is null.', data: KEY },
    errors: [401, 403, 404, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async get(@Param('id', ApiKeyIdPipe) id: number, @Caller() caller: Principal) {
    const key = await this.states.findOwned(id, caller.userId);
    if (!key) throw new ApiKeyNotFoundError();
    return success(200, 'API key retrieved successfully', toView(key));
  }
}
