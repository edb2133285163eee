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
  /** What a client reads in the API reference and a consumer in the event schemas. */
  readonly description: string;
  /** A valid value, for documentation and for the tests that walk the field list. */
  readonly example: T;
}

/** A bounded list of distinct items, as the domain's list fields are. */
const listSchema = (max: number, items: JsonSchema): JsonSchema => ({
  type: 'array',
  maxItems: max,
  uniqueItems: true,
  items,
});

export const FIELD_PRESENTATION: { readonly [K in UpdatableField]: FieldPresentation<FieldValues[K]> } = {
  name: {
    schema: { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH },
    description:
      `Descriptive name: trimmed, 1 to ${NAME_MAX_LENGTH} characters (code points), at least one of them visible, ` +
      'no control or bidirectional-control characters.',
    example: 'Updated Production Key',
  },
  allowed_origins: {
    schema: listSchema(MAX_ORIGINS, { type: 'string', format: 'uri', maxLength: ORIGIN_MAX_LENGTH }),
    description: `CORS origins allowed to use the key: at most ${MAX_ORIGINS} distinct origins exactly as browsers send them.`,
    example: ['https://example.com', 'https://app.example.com'],
  },
  allowed_assistants: {
    schema: listSchema(MAX_ASSISTANTS, { type: 'string', minLength: 1, maxLength: ASSISTANT_ID_MAX_LENGTH }),
    description:
      `Assistant ids the key may access: at most ${MAX_ASSISTANTS} distinct ids (compared in Unicode NFC), each ` +
      `1 to ${ASSISTANT_ID_MAX_LENGTH} characters (code points), visible, without surrounding spaces or control characters.`,
    example: ['123', '456'],
  },
};

/**
 * Each updatable field's documented schema (its fragment with its description and example), in
 * the order of the domain's list.
 */
export function fieldSchemas(): { readonly [K in UpdatableField]: JsonSchema } {
  const properties: Record<string, JsonSchema> = {};
  for (const field of Object.keys(UPDATABLE_FIELDS) as UpdatableField[]) {
    const { schema, description, example } = FIELD_PRESENTATION[field];
    properties[field] = { ...schema, description, examples: [example] };
  }
  return properties as { readonly [K in UpdatableField]: JsonSchema };
}
