import { Type } from 'class-transformer';
import { IsDefined, IsObject, ValidateBy, ValidateNested } from 'class-validator';
import { ApiKeyChanges, UPDATABLE_FIELDS, pickChanges } from '@app/domain';
import { declareFields } from '../api-key-resource/field-validation';

const FIELD_NAMES = Object.keys(UPDATABLE_FIELDS);

/** The fields a PUT may set, each optional. Anything else (key_type, key_value, ids...) is a 422. */
class UpdatableFields {}
declareFields(UpdatableFields, UPDATABLE_FIELDS, () => false);

/** Body of `PUT /api/v1/api_keys/:id`: `{"api_key": {...}}`. */
export class UpdateApiKeyRequest {
  @IsDefined({ message: '$path is required' })
  @IsObject({ message: '$path must be an object' })
  @ValidateBy({
    name: 'setsSomeField',
    validator: {
      // Only judged for objects: anything else already fails IsObject with a clearer message.
      validate: (value: unknown) =>
        typeof value !== 'object' || value === null || Array.isArray(value) || FIELD_NAMES.some((f) => f in value),
      defaultMessage: () => `$path must set at least one of ${FIELD_NAMES.join(', ')}`,
    },
  })
  @ValidateNested()
  @Type(() => UpdatableFields)
  api_key!: ApiKeyChanges;
}

/** Exactly the fields the request set: what `ApiKeyUpdated.data.changes` carries. */
export const changesOf = ({ api_key }: UpdateApiKeyRequest): ApiKeyChanges => pickChanges(api_key);
