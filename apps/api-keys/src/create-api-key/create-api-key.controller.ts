import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Request, Response } from 'express';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { Principal } from '../http/request-context';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyResult } from './create-api-key.handler';
import { CreateApiKeyRequest } from './create-api-key.request';
import { createdBody } from './created-body';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class CreateApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  async create(
    @Body(new ValidBody(CreateApiKeyRequest)) body: CreateApiKeyRequest,
    @Caller() caller: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { api_key: fields } = body;
    const result = await this.commands.execute<CreateApiKeyCommand, CreateApiKeyResult>(
      new CreateApiKeyCommand(
        { userId: caller.userId, userEmail: caller.userEmail },
        {
          name: fields.name,
          key_type: fields.key_type,
          allowed_origins: fields.allowed_origins ?? [],
          allowed_assistants: fields.allowed_assistants ?? [],
          transient_assistant: fields.transient_assistant ?? false,
        },
        req.requestId,
      ),
    );
    const reply = createdBody(result);
    res.status(reply.status.code);
    return reply;
  }
}
