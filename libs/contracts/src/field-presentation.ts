// How each updatable field is presented to readers: its JSON Schema fragment, the wording of the
// API reference and an example. The domain's field list holds only the rules; the published
// event schemas (schemas.ts) and the OpenAPI document are generated from this map beside it.
//
// The map is typed by the domain's list: a field added to UPDATABLE_FIELDS fails the type check
// here until it is presented, and an example must have the field's own value type.
import {
  ASSISTANT_ID_MAX_LENGTH,
  FieldValues,
  MAX_ASSISTANTS,
  MAX_ORIGINS,
  META_MAX_BYTES,
  META_MAX_DEPTH,
  NAME_MAX_LENGTH,
  ORIGIN_MAX_LENGTH,
  UPDATABLE_FIELDS,
  UpdatableField,
} from '@app/domain';

/** A JSON Schema fragment, as the published contracts hold them. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface FieldPresentation<T> {
  /**
   * What the field may hold on the wire. It must keep accepting every value the log already holds,
   * even when a request rule is tightened (docs/events.md).
   */
  readonly schema: JsonSchema;
  /**
   * What a request may send, when that differs from `schema`: a request rule tightened after records
   * were written (the log keeps the old bound), or a value the service normalizes before judging it.
   */
  readonly requestSchema?: JsonSchema;
  /** What a client reads in the API reference and a consumer in the event schemas. */
  readonly description: string;
  /** A valid value, for documentation and for the tests that walk the field list. */
  readonly example: T;
}

/** A UTC time to the whole second with Z, or null: how expiries are written (expires_at, a roll's grace). */
export const WHOLE_SECOND_TIME_OR_NULL: JsonSchema = {
  anyOf: [
    { type: 'null' },
    { type: 'string', format: 'date-time', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' },
  ],
};

/** meta's object keys, at every level: not empty, no leading `$`, no `.` or NUL (stored as data). */
const STORABLE_KEY: JsonSchema = { pattern: '^[^$.\\u0000][^.\\u0000]*$' };

const SCALARS: JsonSchema[] = ['null', 'boolean', 'number', 'string'].map((type) => ({ type }));

/**
 * Any JSON value nesting at most `depth` levels (a scalar is 0, an object or array 1 + its deepest
 * value), spelled out level by level: what JSON Schema can say of meta's depth. An array's items
 * are never arrays: the store refuses nested arrays.
 */
function jsonOfDepth(depth: number): JsonSchema {
  if (depth === 0) return { anyOf: SCALARS };
  return { anyOf: [...SCALARS, { type: 'array', items: itemOfDepth(depth - 1) }, objectOfDepth(depth)] };
}

/** An object nesting at most `depth` levels (itself one), with storable keys. */
function objectOfDepth(depth: number): JsonSchema {
  return { type: 'object', propertyNames: STORABLE_KEY, additionalProperties: jsonOfDepth(depth - 1) };
}

/** What an array may hold: a scalar, or an object of at most `depth` levels. */
function itemOfDepth(depth: number): JsonSchema {
  return depth === 0 ? { anyOf: SCALARS } : { anyOf: [...SCALARS, objectOfDepth(depth)] };
}

/** A bounded list of distinct items, as the domain's list fields are. */
const listSchema = (max: number, items: JsonSchema): JsonSchema => ({
  type: 'array',
  maxItems: max,
  uniqueItems: true,
  items,
});

// The character rules of libs/domain/src/api-key-fields.ts as JSON Schema patterns. Patterns are
// ECMA-262 with code-point semantics; classes are spelled as explicit ranges rather than \p{…} so
// that tools in other languages (schemathesis, in Python) read them the same way.
// \p{Cc}: C0 and C1 controls.
const CONTROLS = '\\x00-\\x1f\\x7f-\\x9f';
// Bidirectional embeddings, overrides and isolates: refused since the first release.
const BIDI_OVERRIDES = '\\u202a-\\u202e\\u2066-\\u2069';
// Bidirectional marks: refused in requests later, so records in the log may hold them.
const BIDI_MARKS = '\\u061c\\u200e\\u200f';
const LOGGED_FORBIDDEN = CONTROLS + BIDI_OVERRIDES;
const REQUEST_FORBIDDEN = LOGGED_FORBIDDEN + BIDI_MARKS;
// What String.prototype.trim removes, less the controls above (tab, newline...).
const SPACES = '\\x20\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** Text without `forbidden` characters that neither starts nor ends with a space; at most `max` long if given. */
const trimmedText = (forbidden: string, max?: number) =>
  `[^${SPACES}${forbidden}](?:[^${forbidden}]${max === undefined ? '*' : `{0,${max - 2}}`}[^${SPACES}${forbidden}])?`;

/** A request's name is trimmed before it is judged: spaces around it are allowed and not counted. */
export const NAME_REQUEST_PATTERN = `^[${SPACES}]*${trimmedText(REQUEST_FORBIDDEN, NAME_MAX_LENGTH)}[${SPACES}]*$`;

// What every origin a browser sends looks like: http or https, a lower-case ASCII host (a domain
// without the characters WHATWG URLs forbid in one, or a bracketed IPv6 address, which browsers
// write in hex without dotted parts), and a port up to 65535. The rest of "exactly as browsers
// send it" (no default port, the shortest IPv6 form, dotted-decimal IPv4) is said in words;
// scripts/schemathesis/hooks.py holds the same rest for the generated cases.
const PORT = '(?:0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
export const ORIGIN_PATTERN = `^https?://(?:\\[[0-9a-f:]+\\]|[!"$&'()*+,\\-.0-9;=_\`a-z{}~]+)(?::${PORT})?$`;

const assistantId = (forbidden: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: ASSISTANT_ID_MAX_LENGTH,
  pattern: `^${trimmedText(forbidden)}$`,
});

export const FIELD_PRESENTATION: { readonly [K in UpdatableField]: FieldPresentation<FieldValues[K]> } = {
  name: {
    schema: { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH, pattern: `^${trimmedText(LOGGED_FORBIDDEN)}$` },
    requestSchema: { type: 'string', minLength: 1, pattern: NAME_REQUEST_PATTERN },
    description:
      `Descriptive name: trimmed, 1 to ${NAME_MAX_LENGTH} characters (code points), at least one of them visible ` +
      '(not only spaces, format characters such as zero-width spaces, variation selectors or blank fillers), ' +
      'no control or bidirectional-control characters.',
    example: 'Updated Production Key',
  },
  allowed_origins: {
    schema: listSchema(MAX_ORIGINS, { type: 'string', maxLength: ORIGIN_MAX_LENGTH, pattern: ORIGIN_PATTERN }),
    description:
      `CORS origins allowed to use the key: at most ${MAX_ORIGINS} distinct origins exactly as browsers send them ` +
      "(a WHATWG URL's origin, serialized): http or https, the host lower-case and in ASCII (punycode), IPv4 in " +
      'dotted decimal (a host whose last label is a number is an IPv4 address), IPv6 in brackets in its shortest ' +
      "form (RFC 5952), a port only when not the scheme's default; no path, query, trailing slash or credentials.",
    example: ['https://example.com', 'https://app.example.com'],
  },
  allowed_assistants: {
    schema: listSchema(MAX_ASSISTANTS, assistantId(LOGGED_FORBIDDEN)),
    requestSchema: listSchema(MAX_ASSISTANTS, assistantId(REQUEST_FORBIDDEN)),
    description:
      `Assistant ids the key may access: at most ${MAX_ASSISTANTS} distinct ids (compared in Unicode NFC, so two ` +
      `spellings of one text are duplicates), each 1 to ${ASSISTANT_ID_MAX_LENGTH} characters (code points), at ` +
      'least one of them visible, without surrounding spaces, control or bidirectional-control characters.',
    example: ['123', '456'],
  },
  expires_at: {
    schema: WHOLE_SECOND_TIME_OR_NULL,
    description:
      'When the key stops authenticating: UTC to the whole second with Z (2027-01-31T00:00:00Z), in the future ' +
      'when set; null (the default) for never. The key is valid while now < expires_at. Expiry emits no event: ' +
      'compare with the clock where the key is used.',
    example: '2027-01-31T00:00:00Z',
  },
  enabled: {
    schema: { type: 'boolean' },
    description: 'Whether the key authenticates (default true). A disabled key is refused until enabled again.',
    example: true,
  },
  meta: {
    schema: objectOfDepth(META_MAX_DEPTH),
    description:
      `Free-form JSON object the owner keeps with the key (plan, tenant...): default {}; at most ${META_MAX_BYTES} ` +
      `bytes as the UTF-8 of its compact JSON and at most ${META_MAX_DEPTH} levels deep (a scalar is depth 0, an ` +
      'object or array 1 + its deepest value); its keys, at every level, not empty, not starting with $, without ' +
      'a dot or NUL; no array directly inside an array. Replaced whole by an update; {} clears it; null is refused.',
    example: { plan: 'pro', tenant: 'acme' },
  },
};

/**
 * Each updatable field's documented schema (its fragment with its description and example), in
 * the order of the domain's list (of every field, or of those a schema_version carries): what the
 * log and a key hold, or with `'request'`, what a request may send.
 */
export function fieldSchemas(
  of: 'record' | 'request' = 'record',
  fields: readonly UpdatableField[] = Object.keys(UPDATABLE_FIELDS) as UpdatableField[],
): { readonly [K in UpdatableField]: JsonSchema } {
  const properties: Record<string, JsonSchema> = {};
  for (const field of fields) {
    const { schema, requestSchema, description, example } = FIELD_PRESENTATION[field];
    const fragment = of === 'request' ? (requestSchema ?? schema) : schema;
    properties[field] = { ...fragment, description, examples: [example] };
  }
  return properties as { readonly [K in UpdatableField]: JsonSchema };
}
