import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandFlow, WriteResult } from '../write-path/command-flow';
import { UpdateApiKeyCommand } from './update-api-key.command';

@CommandHandler(UpdateApiKeyCommand)
export class UpdateApiKeyHandler implements ICommandHandler<UpdateApiKeyCommand, WriteResult> {
  constructor(private readonly flow: CommandFlow) {}

  execute({ keyId, changes, request }: UpdateApiKeyCommand): Promise<WriteResult> {
    return this.flow.run({ type: 'update', keyId, userId: request.caller.userId, changes }, request);
  }
}
