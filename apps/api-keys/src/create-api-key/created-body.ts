import { success } from '../http/envelope';
import { CreateApiKeyResult } from './create-api-key.handler';

/** The create answer, shared by POST and the bootstrap command so both print the same body. */
export const createdBody = (result: CreateApiKeyResult) =>
  result.visible
    ? success(201, 'API key created successfully', result.key)
    : success(202, 'API key created; it is recorded and not yet usable, retry in a moment', result.key);
