import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { decideUpdate, isLiveKeyOf } from '@app/domain';
import { KeyCommandFlow, KeyCommandResult } from '../key-commands/key-command-flow';
import { UpdateApiKeyCommand } from './update-api-key.command';

@CommandHandler(UpdateApiKeyCommand)
export class UpdateApiKeyHandler implements ICommandHandler<UpdateApiKeyCommand, KeyCommandResult> {
  constructor(private readonly flow: KeyCommandFlow) {}

  execute({
    keyId,
    caller,
    changes,
    correlationId,
    bounds,
    conditions,
  }: UpdateApiKeyCommand): Promise<KeyCommandResult> {
    return this.flow.run({
      keyId,
      userId: caller.userId,
      correlationId,
      bounds,
      ...conditions,
      decide: (state, meta, set) =>
        decideUpdate(state, { keyId, userId: caller.userId, changes, conditions: set }, meta),
      // The log ignores an update only of a key that is revoked or not the caller's, for good.
      applied: (after) => isLiveKeyOf(after, caller.userId),
    });
  }
}
