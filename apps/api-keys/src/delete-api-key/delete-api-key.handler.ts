import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideDelete } from '@app/domain';
import { KeyCommandFlow, KeyCommandResult, keyCommandOf } from '../key-commands/key-command-flow';
import { DeleteApiKeyCommand } from './delete-api-key.command';

@CommandHandler(DeleteApiKeyCommand)
export class DeleteApiKeyHandler implements ICommandHandler<DeleteApiKeyCommand, KeyCommandResult> {
  constructor(private readonly flow: KeyCommandFlow) {}

  execute(command: DeleteApiKeyCommand): Promise<KeyCommandResult> {
    const { keyId, caller } = command;
    return this.flow.run({
      ...keyCommandOf(command),
      decide: (state, meta, set) => decideDelete(state, { keyId, userId: caller.userId, conditions: set }, meta),
      // Two deletes can race past the decision on two instances; the one the log applied is the
      // one whose event revoked the key, and only it answers 200.
      applied: (after, position) =>
        after !== null && after.user_id === caller.userId && after.applied.offset === position.offset,
    });
  }
}
