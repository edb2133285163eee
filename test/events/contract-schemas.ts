import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

// The committed JSON Schemas as a downstream consumer gets them: read from the files, not from the
// code that generates them. Used by the unit specs of libs/contracts and by the e2e suites here.

export const REPO_ROOT = join(__dirname, '..', '..');
export const SCHEMA_DIR = join(REPO_ROOT, 'libs', 'contracts', 'schemas');

export type JsonObject = Record<string, unknown>;

/** Every committed schema file, by file name. */
export function committedSchemas(): Map<string, JsonObject> {
  const files = readdirSync(SCHEMA_DIR).filter((file) => file.endsWith('.json'));
  return new Map(files.sort().map((file) => [file, JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'))]));
}

/**
 * A copy of a schema that also refuses properties it does not name. The published schemas are open
 * (consumers must ignore unknown fields, so that adding an optional one stays compatible); our own
 * tests hold what the service writes to the closed form, so a stray or misspelled field fails them.
 */
export function closed(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const copy: JsonObject = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(keyword))
      copy[keyword] = Object.fromEntries(Object.entries(value as JsonObject).map(([name, sub]) => [name, closed(sub)]));
    else if (SCHEMA_LISTS.has(keyword)) copy[keyword] = (value as unknown[]).map(closed);
    else if (SUBSCHEMAS.has(keyword)) copy[keyword] = closed(value);
    else copy[keyword] = value; // a value or an annotation: as it is
  }
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SUBSCHEMAS = new Set(['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else']);

const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);

/** Validates values against the committed schemas, found by their `$id` (what ce_dataschema names). */
export class ContractValidator {
  private readonly open = new Ajv2020({ allErrors: true });
  private readonly strict = new Ajv2020({ allErrors: true });

  constructor(readonly schemas: Map<string, JsonObject> = committedSchemas()) {
    addFormats(this.open);
    addFormats(this.strict);
    for (const schema of schemas.values()) {
      this.open.addSchema(schema);
      this.strict.addSchema(closed(schema) as JsonObject);
    }
  }

  /** The `$id`s of the committed schemas. */
  get ids(): string[] {
    return [...this.schemas.values()].map((schema) => String(schema.$id));
  }

  /** What is wrong with `value` by the schema `id` (in its closed form when `closed`), or []. */
  problems(id: string, value: unknown, { closed: strict = false } = {}): string[] {
    const validate: ValidateFunction | undefined = (strict ? this.strict : this.open).getSchema(id);
    if (!validate) throw new Error(`no committed schema has the $id ${id}`);
    return validate(value) ? [] : describe(validate.errors);
  }
}
