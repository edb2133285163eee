import { Matches, ValidateBy } from 'class-validator';
import { WhenPresent } from '../api-key-resource/field-validation';

export const MAX_PAGE_SIZE = 1000;

/** `GET /api/v1/api_keys?limit=&starting_after=`: both optional; anything else is a 422. */
export class ListApiKeysQuery {
  @WhenPresent()
  @Matches(/^[1-9]\d{0,3}$/, { message: `$path must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @ValidateBy({
    name: 'pageSize',
    validator: {
      validate: (value: unknown) => Number(value) <= MAX_PAGE_SIZE,
      defaultMessage: () => `$path must be an integer from 1 to ${MAX_PAGE_SIZE}`,
    },
  })
  limit?: string;

  @WhenPresent()
  @Matches(/^[1-9]\d{0,15}$/, { message: '$path must be a key id (a positive integer)' })
  starting_after?: string;
}
