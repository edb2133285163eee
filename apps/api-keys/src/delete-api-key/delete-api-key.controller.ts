import { Controller, Delete, Param, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { KeyCommandResult } from '../key-commands/key-command-flow';
import { keyCommandReply } from '../key-commands/key-command-reply';
import { DeleteApiKeyCommand } from './delete-api-key.command';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class DeleteApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Delete(':id')
  async delete(
    @Param('id', ApiKeyIdPipe) id: number,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
  ) {
    const result = await this.commands.execute<DeleteApiKeyCommand, KeyCommandResult>(
      new DeleteApiKeyCommand(id, caller, requestId, bounds),
    );
    return keyCommandReply(result, 'API key deleted successfully', 'API key deletion accepted');
  }
}
