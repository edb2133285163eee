import { RequestConditions } from '../key-commands/request-conditions';
import { Principal, RequestBounds } from '../http/request-context';

export class DeleteApiKeyCommand {
  constructor(
    readonly keyId: number,
    readonly caller: Principal,
    readonly correlationId: string,
    readonly bounds: RequestBounds,
    readonly conditions: RequestConditions = {},
  ) {}
}
