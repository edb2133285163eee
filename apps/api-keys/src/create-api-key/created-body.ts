import { success } from '../http/envelope';
import { WriteResult } from '../write-path/command-flow';

/** The create answer, shared by POST and the bootstrap command so both print the same body. */
export function createdBody(result: WriteResult) {
  switch (result.kind) {
    case 'done':
      return result.repeated
        ? success(
            201,
            'API key created by an earlier request with this Idempotency-Key; its key_value was shown only in that answer',
            result.key,
          )
        : success(201, 'API key created successfully', result.key);
    case 'accepted':
      if (result.key) {
        return success(202, 'API key created; it is recorded and not yet usable, retry in a moment', result.key);
      }
      break;
  }
  throw new Error(`a create cannot answer ${result.kind} without its key`);
}
