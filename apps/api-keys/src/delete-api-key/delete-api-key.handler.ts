import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandFlow, WriteResult } from '../write-path/command-flow';
import { DeleteApiKeyCommand } from './delete-api-key.command';

@CommandHandler(DeleteApiKeyCommand)
export class DeleteApiKeyHandler implements ICommandHandler<DeleteApiKeyCommand, WriteResult> {
  constructor(private readonly flow: CommandFlow) {}

  execute({ keyId, request }: DeleteApiKeyCommand): Promise<WriteResult> {
    return this.flow.run({ type: 'delete', keyId, userId: request.caller.userId }, request);
  }
}
