import { RequestBounds } from '../http/request-context';
import { IdempotencyRequest } from '../key-commands/key-command-flow';
import { NewKeyFields } from './create-api-key.request';

export class CreateApiKeyCommand {
  constructor(
    readonly owner: { readonly userId: number; readonly email: string },
    readonly fields: NewKeyFields,
    readonly correlationId: string,
    readonly bounds: RequestBounds,
    /** Idempotency-Key, with the fingerprint of this request. */
    readonly idempotency?: IdempotencyRequest,
  ) {}
}
