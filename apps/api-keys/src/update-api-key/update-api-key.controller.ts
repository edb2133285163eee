import { Body, Controller, Param, Put, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { KeyCommandResult } from '../key-commands/key-command-flow';
import { keyCommandReply } from '../key-commands/key-command-reply';
import { UpdateApiKeyCommand } from './update-api-key.command';
import { UpdateApiKeyRequest, changesOf } from './update-api-key.request';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class UpdateApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Put(':id')
  async update(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body(new ValidBody(UpdateApiKeyRequest)) body: UpdateApiKeyRequest,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
  ) {
    const result = await this.commands.execute<UpdateApiKeyCommand, KeyCommandResult>(
      new UpdateApiKeyCommand(id, caller, changesOf(body), requestId, bounds),
    );
    return keyCommandReply(result, 'API key updated successfully', 'API key update accepted');
  }
}
