import { WriteRequest } from '../write-path/write-request';

export class DeleteApiKeyCommand {
  constructor(
    readonly keyId: number,
    readonly request: WriteRequest,
  ) {}
}
