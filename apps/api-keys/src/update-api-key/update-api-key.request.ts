import { Type } from 'class-transformer';
import { IsDefined, IsObject, ValidateBy, ValidateNested } from 'class-validator';
import { ApiKeyChanges } from '@app/contracts';
import { AssistantIdList, KeyName, OriginList } from '../api-key-fields/api-key-fields';

export const UPDATABLE_FIELDS = ['name', 'allowed_origins', 'allowed_assistants'] as const;

/** The fields a PUT may set. Anything else (key_type, key_value, ids, timestamps...) is a 422. */
export class UpdateApiKeyFields {
  @KeyName({ required: false })
  name?: string;

  @OriginList()
  allowed_origins?: string[];

  @AssistantIdList()
  allowed_assistants?: string[];
}

/** Exactly the fields the request set: what `ApiKeyUpdated.data.changes` carries. */
export function changesOf({ api_key }: UpdateApiKeyRequest): ApiKeyChanges {
  return {
    ...(api_key.name !== undefined && { name: api_key.name }),
    ...(api_key.allowed_origins !== undefined && { allowed_origins: api_key.allowed_origins }),
    ...(api_key.allowed_assistants !== undefined && { allowed_assistants: api_key.allowed_assistants }),
  };
}

/** Body of `PUT /api/v1/api_keys/:id`: `{"api_key": {...}}`. */
export class UpdateApiKeyRequest {
  @IsDefined({ message: '$path is required' })
  @IsObject({ message: '$path must be an object' })
  @ValidateBy({
    name: 'setsSomeField',
    validator: {
      // Only judged for objects: anything else already fails IsObject with a clearer message.
      validate: (value: unknown) =>
        typeof value !== 'object' || value === null || Array.isArray(value) || UPDATABLE_FIELDS.some((f) => f in value),
      defaultMessage: () => `$path must set at least one of ${UPDATABLE_FIELDS.join(', ')}`,
    },
  })
  @ValidateNested()
  @Type(() => UpdateApiKeyFields)
  api_key!: UpdateApiKeyFields;
}
