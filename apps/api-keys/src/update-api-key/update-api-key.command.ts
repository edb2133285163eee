import { ApiKeyChanges } from '@app/domain';
import { RequestConditions } from '../key-commands/request-conditions';
import { Principal, RequestBounds } from '../http/request-context';

export class UpdateApiKeyCommand {
  constructor(
    readonly keyId: number,
    readonly caller: Principal,
    /** Exactly the fields the request set. */
    readonly changes: ApiKeyChanges,
    readonly correlationId: string,
    readonly bounds: RequestBounds,
    readonly conditions: RequestConditions = {},
  ) {}
}
