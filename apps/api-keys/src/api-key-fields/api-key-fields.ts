import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsString, Length, ValidateBy, ValidateIf } from 'class-validator';

// The rules for the fields a user sets, shared by create and update so the two never drift.
export const NAME_MAX_LENGTH = 255;
export const MAX_ORIGINS = 50;
export const MAX_ASSISTANTS = 100;
export const ASSISTANT_ID_MAX_LENGTH = 128;
const ORIGIN_MAX_LENGTH = 2048;

// C0/C1 controls (NUL, newline, DEL...) and the bidirectional overrides used to disguise text.
const FORBIDDEN_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

export const hasForbiddenCharacters = (value: string) => FORBIDDEN_CHARACTERS.test(value);

/** An origin exactly as browsers send it: scheme, host, optional port; nothing else. */
export function isOrigin(value: string): boolean {
  if (value.length > ORIGIN_MAX_LENGTH || hasForbiddenCharacters(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
}

const isAssistantId = (value: unknown) =>
  typeof value === 'string' &&
  value.length > 0 &&
  value.length <= ASSISTANT_ID_MAX_LENGTH &&
  value.trim() === value &&
  !hasForbiddenCharacters(value);

/** Validators apply only when the field is present; an explicit null is an error, not "absent". */
export const WhenPresent = () => ValidateIf((_, value) => value !== undefined);

/** First index of an array whose element fails `ok`, or -1. */
const firstBad = (value: unknown, ok: (item: unknown) => boolean) =>
  Array.isArray(value) ? value.findIndex((item) => !ok(item)) : -1;

function EachItem(name: string, ok: (item: unknown) => boolean, expectation: string): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown) => firstBad(value, ok) === -1,
      defaultMessage: (args) => `$path[${firstBad(args?.value, ok)}] ${expectation}`,
    },
  });
}

function NoDuplicates(): PropertyDecorator {
  return ValidateBy({
    name: 'noDuplicates',
    validator: {
      validate: (value: unknown) => !Array.isArray(value) || new Set(value).size === value.length,
      defaultMessage: () => '$path must not contain duplicates',
    },
  });
}

/** Trimmed, 1-255 characters, no control characters. */
export function KeyName(options: { required: boolean }): PropertyDecorator {
  return applyDecorators(
    // Trim only clean strings: a control character must fail validation, not be trimmed away.
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && !hasForbiddenCharacters(value) ? value.trim() : value,
    ),
    options.required ? IsDefined({ message: '$path is required' }) : WhenPresent(),
    IsString({ message: '$path must be a string' }),
    Length(1, NAME_MAX_LENGTH, { message: `$path must be 1 to ${NAME_MAX_LENGTH} characters (after trimming)` }),
    ValidateBy({
      name: 'noControlCharacters',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !hasForbiddenCharacters(value),
        defaultMessage: () => '$path must not contain control characters',
      },
    }),
  );
}

export function OriginList(): PropertyDecorator {
  return applyDecorators(
    WhenPresent(),
    IsArray({ message: '$path must be an array of origins' }),
    ArrayMaxSize(MAX_ORIGINS, { message: `$path must have at most ${MAX_ORIGINS} origins` }),
    EachItem(
      'isOrigin',
      (item) => typeof item === 'string' && isOrigin(item),
      'must be an origin exactly as browsers send it, such as https://app.example.com (http or https, lower-case host, a port only when not the default; no path, query, trailing slash or credentials)',
    ),
    NoDuplicates(),
  );
}

export function AssistantIdList(): PropertyDecorator {
  return applyDecorators(
    WhenPresent(),
    IsArray({ message: '$path must be an array of assistant ids' }),
    ArrayMaxSize(MAX_ASSISTANTS, { message: `$path must have at most ${MAX_ASSISTANTS} assistant ids` }),
    EachItem(
      'isAssistantId',
      isAssistantId,
      `must be a non-empty string of at most ${ASSISTANT_ID_MAX_LENGTH} characters, without surrounding spaces or control characters`,
    ),
    NoDuplicates(),
  );
}
