// The fields a user sets on a key, each with its rules. This list is the one place a field is
// defined: request validation, the changes an update carries, the event decoder and `evolve`
// are all derived from it (see api-key-fields.spec). How a field is presented (its JSON Schema,
// wording and example) is not a rule: libs/contracts/src/field-presentation.ts holds it, and the
// type check fails there until a field added here is presented.

export const NAME_MAX_LENGTH = 255;
export const MAX_ORIGINS = 50;
export const ORIGIN_MAX_LENGTH = 2048;
export const MAX_ASSISTANTS = 100;
export const ASSISTANT_ID_MAX_LENGTH = 128;

/** What is wrong with a value: `index` names the offending array item, if any. */
export interface Problem {
  readonly index?: number;
  readonly message: string;
}

export interface FieldRule<T> {
  /** Must a create request set it? If not, a new key starts with `initial`. */
  readonly requiredOnCreate: boolean;
  readonly initial: T;
  /** Applied to a request's value before `problem` judges it (e.g. trimming). */
  readonly normalize: (value: unknown) => unknown;
  /** Null when the (normalized) value is acceptable in a request. */
  readonly problem: (value: unknown) => Problem | null;
  /** The value's type as an event carries it: the decoder trusts the content, not the shape. */
  readonly isWireValue: (value: unknown) => value is T;
  /** A copy that shares nothing with the given value, so states never alias events. */
  copy(value: T): T;
}

// C0/C1 controls (NUL, newline, DEL...) and every bidirectional control (the marks, embeddings,
// overrides and isolates that can make text display in another order than it is stored).
const FORBIDDEN_CHARACTERS = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// What shows nothing: white space, format characters (zero-width space and joiners, word joiner,
// BOM...), variation selectors, the combining grapheme joiner, the Hangul fillers, braille blank.
const INVISIBLE = /[\s\p{Cf}\u115F\u1160\u2800\u3164\uFFA0]|\u034F|\p{Variation_Selector}/gu;

export const hasForbiddenCharacters = (value: string) => FORBIDDEN_CHARACTERS.test(value);
export const isInvisible = (value: string) => value.replace(INVISIBLE, '') === '';
/** Length as people count it: in code points, not UTF-16 units. */
export const lengthOf = (value: string) => [...value].length;

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

export const isAssistantId = (value: unknown): value is string =>
  typeof value === 'string' &&
  !isInvisible(value) &&
  lengthOf(value) <= ASSISTANT_ID_MAX_LENGTH &&
  value.trim() === value &&
  !hasForbiddenCharacters(value);

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is readonly string[] => Array.isArray(value) && value.every(isString);
const problem = (message: string, index?: number): Problem => (index === undefined ? { message } : { index, message });

const name: FieldRule<string> = {
  requiredOnCreate: true,
  initial: '',
  // Trim only clean strings: a control character must fail validation, not be trimmed away.
  normalize: (value) => (isString(value) && !hasForbiddenCharacters(value) ? value.trim() : value),
  problem: (value) => {
    if (!isString(value)) return problem('must be a string');
    if (value.length < 1 || lengthOf(value) > NAME_MAX_LENGTH) {
      return problem(`must be 1 to ${NAME_MAX_LENGTH} characters (after trimming)`);
    }
    if (hasForbiddenCharacters(value)) return problem('must not contain control characters');
    if (isInvisible(value)) return problem('must contain a visible character');
    return null;
  },
  isWireValue: isString,
  copy: (value) => value,
};

/** A field that is a bounded list of valid, distinct strings, empty for a new key. */
function listField(spec: {
  max: number;
  noun: string;
  isItem: (item: unknown) => boolean;
  /** What every item must be, completing "…[i] must be ". */
  item: string;
}): FieldRule<readonly string[]> {
  return {
    requiredOnCreate: false,
    initial: [],
    normalize: (value) => value,
    problem: (value) => {
      if (!Array.isArray(value)) return problem(`must be an array of ${spec.noun}`);
      if (value.length > spec.max) return problem(`must have at most ${spec.max} ${spec.noun}`);
      const bad = value.findIndex((entry) => !spec.isItem(entry));
      if (bad >= 0) return problem(`must be ${spec.item}`, bad);
      // Two spellings of one text (composed and decomposed accents) are one entry.
      if (new Set(value.map((entry: string) => entry.normalize('NFC'))).size !== value.length) {
        return problem('must not contain duplicates');
      }
      return null;
    },
    isWireValue: isStringList,
    copy: (value) => [...value],
  };
}

const allowedOrigins = listField({
  max: MAX_ORIGINS,
  noun: 'origins',
  isItem: (item) => isString(item) && isOrigin(item),
  item:
    'an origin exactly as browsers send it, such as https://app.example.com (http or https, lower-case host, ' +
    'a port only when not the default; no path, query, trailing slash or credentials)',
});

const allowedAssistants = listField({
  max: MAX_ASSISTANTS,
  noun: 'assistant ids',
  isItem: isAssistantId,
  item: `a non-empty string of at most ${ASSISTANT_ID_MAX_LENGTH} characters, without surrounding spaces or control characters`,
});

/** UTC to the whole second with Z, as `2027-01-31T00:00:00Z`: the one form an expiry is written in. */
const WHOLE_SECOND_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const isWholeSecondUtc = (value: unknown): value is string =>
  typeof value === 'string' &&
  WHOLE_SECOND_UTC.test(value) &&
  !Number.isNaN(Date.parse(value)) &&
  new Date(value).toISOString().replace('.000Z', 'Z') === value;

/**
 * When the key stops authenticating, or null for never. "In the future" depends on the clock, so
 * the decider judges it against the event's own time (decide.ts), not this rule.
 */
const expiresAt: FieldRule<string | null> = {
  requiredOnCreate: false,
  initial: null,
  normalize: (value) => value,
  problem: (value) =>
    value === null || isWholeSecondUtc(value)
      ? null
      : problem('must be null or a UTC time to the second with Z, such as 2027-01-31T00:00:00Z'),
  isWireValue: (value): value is string | null => value === null || isWholeSecondUtc(value),
  copy: (value) => value,
};

const enabled: FieldRule<boolean> = {
  requiredOnCreate: false,
  initial: true,
  normalize: (value) => value,
  problem: (value) => (typeof value === 'boolean' ? null : problem('must be true or false')),
  isWireValue: (value): value is boolean => typeof value === 'boolean',
  copy: (value) => value,
};

export const META_MAX_BYTES = 4096;
export const META_MAX_DEPTH = 4;

/** A JSON object: what `meta` is (its values any JSON). */
export type JsonObject = { readonly [key: string]: unknown };

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How deep a JSON value nests: a scalar 0, an object or array 1 + its deepest value. */
function jsonDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, jsonDepth(child)), 0);
}

/** The UTF-8 size of a value's compact JSON. */
const compactJsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/**
 * A key name a document store takes for data: not empty, not starting with `$` (an operator), no
 * `.` (a path) and no NUL. Others would be refused where the key is stored, or read as commands.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused here.
const STORABLE_KEY = /^[^$.\u0000][^.\u0000]*$/;

/**
 * Whether a document store takes the value as it is: every object key storable, at any depth, and
 * no array directly inside an array (FerretDB refuses nested arrays).
 */
function isStorable(value: unknown, inArray = false): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return !inArray && value.every((item) => isStorable(item, true));
  return Object.entries(value).every(([key, child]) => STORABLE_KEY.test(key) && isStorable(child));
}

/** Free-form data the owner keeps with the key (plan, tenant...): replaced whole; `{}` clears it. */
const meta: FieldRule<JsonObject> = {
  requiredOnCreate: false,
  initial: {},
  normalize: (value) => value,
  problem: (value) => {
    if (!isJsonObject(value)) return problem('must be a JSON object');
    if (!isStorable(value)) {
      return problem(
        'must have keys that are not empty, do not start with $ and contain no dot or NUL, and no array directly ' +
          'inside an array',
      );
    }
    if (jsonDepth(value) > META_MAX_DEPTH) return problem(`must nest at most ${META_MAX_DEPTH} levels deep`);
    if (compactJsonBytes(value) > META_MAX_BYTES) {
      return problem(`must be at most ${META_MAX_BYTES} bytes as compact JSON (UTF-8)`);
    }
    return null;
  },
  isWireValue: (value): value is JsonObject => isJsonObject(value) && isStorable(value),
  // A deep copy: a state never shares an object with the event it was folded from.
  copy: (value) => JSON.parse(JSON.stringify(value)) as JsonObject,
};

/** The fields a user may set at creation and change afterwards. */
export const UPDATABLE_FIELDS = {
  name,
  allowed_origins: allowedOrigins,
  allowed_assistants: allowedAssistants,
  expires_at: expiresAt,
  enabled,
  meta,
} as const;

export type FieldRules = Readonly<Record<string, FieldRule<unknown>>>;
export type UpdatableField = keyof typeof UPDATABLE_FIELDS;
type ValueOf<R> = R extends FieldRule<infer T> ? T : never;

/** A value for every updatable field. */
export type FieldValues = { readonly [K in UpdatableField]: ValueOf<(typeof UPDATABLE_FIELDS)[K]> };

/** Some updatable fields with their new values: what an update carries. */
export type ApiKeyChanges = Partial<FieldValues>;

/** The value `source` sets for a field: present as its own property and not undefined. */
const valueIn = (source: object, field: string): unknown =>
  Object.prototype.hasOwnProperty.call(source, field) ? (source as Record<string, unknown>)[field] : undefined;

/** Exactly the fields `source` sets, copied: what an update carries. */
export function pickChanges(source: object, rules: FieldRules = UPDATABLE_FIELDS): ApiKeyChanges {
  const changes: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(rules)) {
    const value = valueIn(source, field);
    if (value !== undefined) changes[field] = rule.copy(value);
  }
  return changes;
}

/** Every field's value: the one `source` sets, or the field's initial value. */
export function completeFields(source: object, rules: FieldRules = UPDATABLE_FIELDS): FieldValues {
  const values: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(rules)) {
    values[field] = rule.copy(valueIn(source, field) ?? rule.initial);
  }
  return values as FieldValues;
}

/**
 * Why a map of wire values is not a valid set of changes, or null. Used by the event decoder:
 * an unknown field means a newer producer wrote it, so the record cannot be projected safely.
 */
export function wireChangesProblem(raw: Readonly<Record<string, unknown>>, rules: FieldRules = UPDATABLE_FIELDS) {
  const fields = Object.keys(raw);
  if (fields.length === 0) return 'is empty';
  for (const field of fields) {
    const rule = rules[field] as FieldRule<unknown> | undefined;
    if (!rule) return `.${field} is not an updatable field`;
    if (!rule.isWireValue(raw[field])) return `.${field} has the wrong type`;
  }
  return null;
}
