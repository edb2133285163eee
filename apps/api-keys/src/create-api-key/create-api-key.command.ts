import { NewKeyFields } from './create-api-key.request';

export class CreateApiKeyCommand {
  constructor(
    readonly owner: { readonly userId: number; readonly email: string },
    readonly fields: NewKeyFields,
    readonly correlationId: string,
  ) {}
}
