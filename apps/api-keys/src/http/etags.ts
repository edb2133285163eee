import { ApiError } from '../errors';

/** A key's ETag: its version (the number of events applied to it), strong. */
export const etagOf = (version: number) => `"${version}"`;

/** An If-Match or If-None-Match header: any version (`*`), or the versions it lists. */
export type EntityTags = { readonly any: true } | { readonly any: false; readonly versions: readonly number[] };

export class BadHeaderError extends ApiError {
  /** `rule` completes "Send <header> as …": what a valid value is. */
  constructor(header: string, problem: string, rule: string) {
    super('bad_header', `Malformed ${header} header`, [`${header} ${problem}`], `Send ${header} as ${rule}.`);
  }
}

// RFC 9110 §8.8.3 and §13.1.1-2: `*`, or a comma-separated list of entity-tags, each `"…"` or
// `W/"…"` around etagc characters (visible ASCII but `"`, and obs-text, which Node hands over as
// Latin-1). A list may hold empty elements (§5.6.1.2), but not only those. The pattern is also the
// headers' pattern in the OpenAPI document, so it is written for ECMA-262 and other engines alike.
const OWS = '[ \\t]*';
const ETAGC = '[\\x21\\x23-\\x7e\\x80-\\xff]*';
const TAG = `(?:W/)?"${ETAGC}"`;
/** A valid If-Match / If-None-Match: blank (as if absent), `*`, or a list of entity-tags. */
export const ENTITY_TAGS_PATTERN = `^${OWS}(?:\\*|(?:,${OWS})*${TAG}(?:${OWS},(?:${OWS}${TAG})?)*)?${OWS}$`;
const VALID = new RegExp(ENTITY_TAGS_PATTERN);
const BLANK = /^[ \t]*$/;
const ANY = /^[ \t]*\*[ \t]*$/;
const TAGS = new RegExp(`(W/)?"(${ETAGC})"`, 'g');
// The opaque-tags this API gives: a version, spelled as etagOf spells it (tags compare by characters).
const VERSION = /^(?:0|[1-9]\d{0,14})$/;

/** What a valid If-Match / If-None-Match is, for the error that refuses another. */
export const ENTITY_TAGS_RULE = '"*" or a comma-separated list of ETags, such as "3" or W/"3", "4"';

/**
 * Parses If-Match / If-None-Match. `weak` allows W/ tags to match (If-None-Match compares weakly;
 * If-Match only strongly, so a weak tag there matches nothing). A well-formed tag this API never
 * gives matches no version and is ignored, as RFC 9110 asks; only a header that is not an
 * entity-tag list at all is refused, so a condition the client meant is never silently dropped.
 */
export function parseEntityTags(header: string, value: string | undefined, weak: boolean): EntityTags | undefined {
  if (value === undefined) return undefined;
  if (!VALID.test(value)) {
    throw new BadHeaderError(
      header,
      `is ${JSON.stringify(value)}, which is not "*" or a list of entity-tags`,
      ENTITY_TAGS_RULE,
    );
  }
  if (BLANK.test(value)) return undefined;
  if (ANY.test(value)) return { any: true };
  const versions: number[] = [];
  for (const [, weakPrefix, opaque] of value.matchAll(TAGS)) {
    if (weakPrefix && !weak) continue;
    if (VERSION.test(opaque)) versions.push(Number(opaque));
  }
  return { any: false, versions };
}

/** Whether the key at `version` matches the tags. */
export const matches = (tags: EntityTags, version: number) => tags.any || tags.versions.includes(version);

/**
 * The version a command on a key now at `current` must expect, given its If-Match: none without
 * a condition (or with `*`), the current one when listed, else one that is not (refused).
 */
export function expectedVersion(tags: EntityTags | undefined, current: number | undefined): number | undefined {
  if (!tags || tags.any) return undefined;
  if (current !== undefined && tags.versions.includes(current)) return current;
  return tags.versions[0] ?? -1;
}
