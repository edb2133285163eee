import { Controller, Delete, HttpCode, Param, Req, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Request, Response } from 'express';
import { ApiKeyIdPipe } from '../api-key-fields/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { success } from '../http/envelope';
import { Principal } from '../http/request-context';
import { DeleteApiKeyCommand } from './delete-api-key.command';
import { DeleteApiKeyResult } from './delete-api-key.handler';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class DeleteApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Delete(':id')
  @HttpCode(200)
  async delete(
    @Param('id', ApiKeyIdPipe) id: number,
    @Caller() caller: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.commands.execute<DeleteApiKeyCommand, DeleteApiKeyResult>(
      new DeleteApiKeyCommand(id, caller, req.requestId),
    );
    if (result.visible) return success(200, 'API key deleted successfully', result.key);
    res.status(202);
    return success(202, 'API key deletion accepted; it is recorded and not yet visible in reads', {
      id: result.keyId,
      event_id: result.eventId,
    });
  }
}
