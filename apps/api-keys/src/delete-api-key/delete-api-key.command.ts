import { EntityTags } from '../http/etags';
import { Principal, RequestBounds } from '../http/request-context';

export class DeleteApiKeyCommand {
  constructor(
    readonly keyId: number,
    readonly caller: Principal,
    readonly correlationId: string,
    readonly bounds: RequestBounds,
    /** If-Match: the versions the client expects the key to be at. */
    readonly ifMatch?: EntityTags,
  ) {}
}
