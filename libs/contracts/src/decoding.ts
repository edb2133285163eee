// What the event and state decoders share: parsing a record's JSON value and checking its parts,
// each failure named so that whoever sets the record aside can say why.
import { FieldRule, FieldRules, FieldValues, UPDATABLE_FIELDS, completeFields } from '@app/domain';

export type Json = Record<string, unknown>;

/** Throws (a decoder's own error type) naming the reason unless `condition` holds. */
export type Check = (condition: boolean, reason: string) => asserts condition;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
export const isIsoTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The record's value as a JSON object. */
export function parseObject(value: Buffer | string | null, check: Check): Json {
  check(value !== null && value.length > 0, 'empty record value');
  let body: unknown;
  try {
    body = JSON.parse(value.toString());
  } catch {
    body = undefined;
  }
  check(body !== undefined, 'value is not JSON');
  check(isObject(body), 'value is not a JSON object');
  return body;
}

/**
 * Every updatable field of a whole key (a creation, a state). A field that must be set at creation
 * must be there; one that need not may be missing (written before the field existed) and then has
 * its initial value, as has every field its version (`rules`) does not carry. Whether a property
 * outside `rules` is allowed is the caller's to say.
 */
export function decodeFieldValues(
  data: Json,
  check: Check,
  where: string,
  rules: FieldRules = UPDATABLE_FIELDS,
): FieldValues {
  for (const [field, rule] of Object.entries<FieldRule<unknown>>(rules)) {
    const value = data[field];
    check(value !== undefined || !rule.requiredOnCreate, `${where}${field} is missing`);
    check(value === undefined || rule.isWireValue(value), `${where}${field} has the wrong type`);
  }
  return completeFields(data);
}
