import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandFlow, WriteResult } from '../write-path/command-flow';
import { RollApiKeyCommand } from './roll-api-key.command';

@CommandHandler(RollApiKeyCommand)
export class RollApiKeyHandler implements ICommandHandler<RollApiKeyCommand, WriteResult> {
  constructor(private readonly flow: CommandFlow) {}

  execute({ keyId, expirePreviousInSeconds, request }: RollApiKeyCommand): Promise<WriteResult> {
    return this.flow.run({ type: 'roll', keyId, userId: request.caller.userId, expirePreviousInSeconds }, request);
  }
}
