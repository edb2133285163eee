import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { Bounds, Principal, RequestBounds, RequestId } from '../http/request-context';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyResult } from './create-api-key.handler';
import { CreateApiKeyRequest } from './create-api-key.request';
import { createdBody } from './created-body';

@Controller('api_keys')
@UseGuards(AuthGuard)
export class CreateApiKeyController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  async create(
    @Body(new ValidBody(CreateApiKeyRequest)) body: CreateApiKeyRequest,
    @Caller() caller: Principal,
    @RequestId() requestId: string,
    @Bounds() bounds: RequestBounds,
  ) {
    const result = await this.commands.execute<CreateApiKeyCommand, CreateApiKeyResult>(
      new CreateApiKeyCommand({ userId: caller.userId, email: caller.userEmail }, body.api_key, requestId, bounds),
    );
    return createdBody(result);
  }
}
