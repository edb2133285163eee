import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, ValidateNested } from 'class-validator';
import { KeyType } from '@app/contracts';
import { AssistantIdList, KeyName, OriginList, WhenPresent } from '../api-key-fields/api-key-fields';

export class CreateApiKeyFields {
  @KeyName({ required: true })
  name!: string;

  @IsDefined({ message: '$path is required' })
  @IsIn(['private', 'public'], { message: '$path must be "private" or "public"' })
  key_type!: KeyType;

  @OriginList()
  allowed_origins?: string[];

  @AssistantIdList()
  allowed_assistants?: string[];

  @WhenPresent()
  @IsBoolean({ message: '$path must be true or false' })
  transient_assistant?: boolean;
}

/** Body of `POST /api/v1/api_keys`: `{"api_key": {...}}`. */
export class CreateApiKeyRequest {
  @IsDefined({ message: '$path is required' })
  @IsObject({ message: '$path must be an object' })
  @ValidateNested()
  @Type(() => CreateApiKeyFields)
  api_key!: CreateApiKeyFields;
}
