import { IsInt, Max, Min } from 'class-validator';
import { MAX_PREVIOUS_GRACE_SECONDS } from '@app/domain';
import { WhenPresent } from '../api-key-resource/field-validation';

/**
 * Body of `POST /api/v1/api_keys/:id/roll`, optional: `{"expire_previous_in_seconds": N}`. Not
 * wrapped in `api_key`, since it sets no attribute of the key.
 */
export class RollApiKeyRequest {
  @WhenPresent()
  @IsInt({ message: '$path must be a whole number of seconds' })
  @Min(0, { message: `$path must be 0 to ${MAX_PREVIOUS_GRACE_SECONDS}` })
  @Max(MAX_PREVIOUS_GRACE_SECONDS, { message: `$path must be 0 to ${MAX_PREVIOUS_GRACE_SECONDS}` })
  expire_previous_in_seconds?: number;
}
