import { KeyType } from '@app/contracts';

export interface NewKeyFields {
  readonly name: string;
  readonly key_type: KeyType;
  readonly allowed_origins: readonly string[];
  readonly allowed_assistants: readonly string[];
  readonly transient_assistant: boolean;
}

export class CreateApiKeyCommand {
  constructor(
    readonly owner: { readonly userId: number; readonly userEmail: string },
    readonly fields: NewKeyFields,
    readonly correlationId: string,
  ) {}
}
