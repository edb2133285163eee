import { WriteRequest } from '../write-path/write-request';
import { NewKeyFields } from './create-api-key.request';

export class CreateApiKeyCommand {
  constructor(
    /** The fields the request set; the caller becomes the owner. */
    readonly fields: NewKeyFields,
    readonly request: WriteRequest,
  ) {}
}
