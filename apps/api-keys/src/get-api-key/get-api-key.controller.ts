import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiKeyIdPipe } from '../api-key-fields/api-key-id.pipe';
import { toView } from '../api-key-fields/api-key.view';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError } from '../errors';
import { success } from '../http/envelope';
import { Principal } from '../http/request-context';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class GetApiKeyController {
  constructor(private readonly readModel: ApiKeysReadModel) {}

  @Get(':id')
  async get(@Param('id', ApiKeyIdPipe) id: number, @Caller() caller: Principal) {
    const key = await this.readModel.findOwned(id, caller.userId);
    if (!key) throw new ApiKeyNotFoundError();
    return success(200, 'API key retrieved successfully', toView(key));
  }
}
