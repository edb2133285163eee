import { ApiKeyChanges } from '@app/domain';
import { WriteRequest } from '../write-path/write-request';

export class UpdateApiKeyCommand {
  constructor(
    readonly keyId: number,
    /** Exactly the fields the request set. */
    readonly changes: ApiKeyChanges,
    readonly request: WriteRequest,
  ) {}
}
