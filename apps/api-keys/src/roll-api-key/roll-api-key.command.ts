import { WriteRequest } from '../write-path/write-request';

export class RollApiKeyCommand {
  constructor(
    readonly keyId: number,
    /** How long the replaced secret keeps working (0: it stops at once). */
    readonly expirePreviousInSeconds: number,
    readonly request: WriteRequest,
  ) {}
}
