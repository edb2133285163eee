import { Controller, Get, UseGuards } from '@nestjs/common';
import { toView } from '../api-key-resource/api-key.view';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { success } from '../http/envelope';
import { Principal } from '../http/request-context';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class ListApiKeysController {
  constructor(private readonly readModel: ApiKeysReadModel) {}

  @Get()
  async list(@Caller() caller: Principal) {
    const keys = await this.readModel.listOwned(caller.userId);
    return success(
      200,
      'API keys retrieved successfully',
      keys.map((key) => toView(key)),
    );
  }
}
