import { Body, Controller, HttpCode, Param, Put, Req, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Request, Response } from 'express';
import { ApiKeyIdPipe } from '../api-key-fields/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { success } from '../http/envelope';
import { Principal } from '../http/request-context';
import { UpdateApiKeyCommand } from './update-api-key.command';
import { UpdateApiKeyResult } from './update-api-key.handler';
import { UpdateApiKeyRequest, changesOf } from './update-api-key.request';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class UpdateApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Put(':id')
  @HttpCode(200)
  async update(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body(new ValidBody(UpdateApiKeyRequest)) body: UpdateApiKeyRequest,
    @Caller() caller: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.commands.execute<UpdateApiKeyCommand, UpdateApiKeyResult>(
      new UpdateApiKeyCommand(id, caller, changesOf(body), req.requestId),
    );
    if (result.visible) return success(200, 'API key updated successfully', result.key);
    res.status(202);
    return success(202, 'API key update accepted; it is recorded and not yet visible in reads', {
      id: result.keyId,
      event_id: result.eventId,
    });
  }
}
