import { ApiKeyChanges } from '@app/domain';
import { EntityTags } from '../http/etags';
import { Principal, RequestBounds } from '../http/request-context';

export class UpdateApiKeyCommand {
  constructor(
    readonly keyId: number,
    readonly caller: Principal,
    /** Exactly the fields the request set. */
    readonly changes: ApiKeyChanges,
    readonly correlationId: string,
    readonly bounds: RequestBounds,
    /** If-Match: the versions the client expects the key to be at. */
    readonly ifMatch?: EntityTags,
  ) {}
}
