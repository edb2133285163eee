import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideDelete } from '@app/domain';
import { KeyCommandFlow, KeyCommandResult } from '../key-commands/key-command-flow';
import { DeleteApiKeyCommand } from './delete-api-key.command';

@CommandHandler(DeleteApiKeyCommand)
export class DeleteApiKeyHandler implements ICommandHandler<DeleteApiKeyCommand, KeyCommandResult> {
  constructor(private readonly flow: KeyCommandFlow) {}

  execute({ keyId, caller, correlationId, bounds, conditions }: DeleteApiKeyCommand): Promise<KeyCommandResult> {
    return this.flow.run({
      keyId,
      userId: caller.userId,
      correlationId,
      bounds,
      ...conditions,
      decide: (state, meta, set) => decideDelete(state, { keyId, userId: caller.userId, conditions: set }, meta),
      // Two deletes can race past the decision on two instances; the one the log applied is the
      // one whose event revoked the key, and only it answers 200.
      applied: (after, position) =>
        after !== null && after.user_id === caller.userId && after.applied.offset === position.offset,
    });
  }
}
