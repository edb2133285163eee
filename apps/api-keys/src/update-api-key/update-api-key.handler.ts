import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideUpdate, isLiveKeyOf } from '@app/domain';
import { KeyCommandFlow, KeyCommandResult, keyCommandOf } from '../key-commands/key-command-flow';
import { UpdateApiKeyCommand } from './update-api-key.command';

@CommandHandler(UpdateApiKeyCommand)
export class UpdateApiKeyHandler implements ICommandHandler<UpdateApiKeyCommand, KeyCommandResult> {
  constructor(private readonly flow: KeyCommandFlow) {}

  execute(command: UpdateApiKeyCommand): Promise<KeyCommandResult> {
    const { keyId, caller, changes } = command;
    return this.flow.run({
      ...keyCommandOf(command),
      decide: (state, meta, set) =>
        decideUpdate(state, { keyId, userId: caller.userId, changes, conditions: set }, meta),
      // The log ignores an update only of a key that is revoked or not the caller's, for good.
      applied: (after) => isLiveKeyOf(after, caller.userId),
    });
  }
}
