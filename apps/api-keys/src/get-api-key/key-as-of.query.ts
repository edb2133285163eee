import { Matches, ValidateBy } from 'class-validator';
import { WhenPresent } from '../api-key-resource/field-validation';

/** A UTC time with Z, to the second or the millisecond; the document states the same pattern. */
export const AT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$';
const UTC_TIME = new RegExp(AT_PATTERN);
/** Fifteen digits: more than any key will have, and exact in a JavaScript number. */
export const MAX_VERSION = 999_999_999_999_999;

/** `GET /api/v1/api_keys/:id?at=<UTC time>` or `?version=<n>`: the key as it was. Any other parameter is a 422. */
export class KeyAsOfQuery {
  @WhenPresent()
  @Matches(UTC_TIME, { message: '$path must be a UTC time with Z, such as 2024-01-15T11:00:00Z' })
  @ValidateBy({
    name: 'realTime',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !Number.isNaN(Date.parse(value)),
      defaultMessage: () => '$path must be a real time',
    },
  })
  at?: string;

  @WhenPresent()
  @Matches(/^[1-9][0-9]{0,14}$/, { message: '$path must be a version number (1 or more)' })
  version?: string;
}
