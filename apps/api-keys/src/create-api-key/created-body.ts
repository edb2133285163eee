import { success } from '../http/envelope';
import { CreateApiKeyResult } from './create-api-key.handler';

/** The create answer, shared by POST and the bootstrap command so both print the same body. */
export function createdBody(result: CreateApiKeyResult) {
  if (result.repeated) {
    return success(
      201,
      'API key created by an earlier request with this Idempotency-Key; its key_value was shown only in that answer',
      result.key,
    );
  }
  return result.visible
    ? success(201, 'API key created successfully', result.key)
    : success(202, 'API key created; it is recorded and not yet usable, retry in a moment', result.key);
}
