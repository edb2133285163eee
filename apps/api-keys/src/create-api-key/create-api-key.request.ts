import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, ValidateNested } from 'class-validator';
import { FieldValues, KEY_TYPES, KeyType, UPDATABLE_FIELDS } from '@app/domain';
import { WhenPresent, declareFields } from '../api-key-resource/field-validation';

/** What a create request sets: the kind of key, and the updatable fields it names. */
export type NewKeyFields = Partial<FieldValues> & {
  readonly key_type: KeyType;
  readonly transient_assistant?: boolean;
};

/** The fields fixed at creation; the updatable ones are declared from the domain's field list. */
class CreateApiKeyFields {
  @IsDefined({ message: '$path is required' })
  @IsIn(KEY_TYPES, { message: '$path must be "private" or "public"' })
  key_type!: KeyType;

  @WhenPresent()
  @IsBoolean({ message: '$path must be true or false' })
  transient_assistant?: boolean;
}
declareFields(CreateApiKeyFields, UPDATABLE_FIELDS, (rule) => rule.requiredOnCreate);

/** Body of `POST /api/v1/api_keys`: `{"api_key": {...}}`. */
export class CreateApiKeyRequest {
  @IsDefined({ message: '$path is required' })
  @IsObject({ message: '$path must be an object' })
  @ValidateNested()
  @Type(() => CreateApiKeyFields)
  api_key!: NewKeyFields;
}
