import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandFlow, WriteResult } from '../write-path/command-flow';
import { CreateApiKeyCommand } from './create-api-key.command';

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand, WriteResult> {
  constructor(private readonly flow: CommandFlow) {}

  execute({ fields, request }: CreateApiKeyCommand): Promise<WriteResult> {
    const { key_type, transient_assistant, ...updatable } = fields;
    const { caller } = request;
    return this.flow.run(
      {
        type: 'create',
        owner: { userId: caller.userId, email: caller.userEmail },
        keyType: key_type,
        transientAssistant: transient_assistant ?? false,
        fields: updatable,
      },
      request,
    );
  }
}
