import { ApiError } from '../errors';

/** A key's ETag: its version (the number of events applied to it), strong. */
export const etagOf = (version: number) => `"${version}"`;

/** An If-Match or If-None-Match header: any version (`*`), or the versions it lists. */
export type EntityTags = { readonly any: true } | { readonly any: false; readonly versions: readonly number[] };

export class BadHeaderError extends ApiError {
  constructor(header: string, problem: string) {
    super(
      'bad_header',
      `Malformed ${header} header`,
      [`${header} ${problem}`],
      `Send ${header} as "*" or a list of ETags as this API gives them, such as "3".`,
    );
  }
}

/**
 * Parses If-Match / If-None-Match. `weak` allows W/ tags (If-None-Match compares weakly; If-Match
 * only strongly, so a weak tag there matches nothing). A tag this API never gives is refused: a
 * condition the client believes it set must not be silently dropped.
 */
export function parseEntityTags(header: string, value: string | undefined, weak: boolean): EntityTags | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.trim() === '*') return { any: true };
  const versions: number[] = [];
  for (const tag of value.split(',').map((t) => t.trim())) {
    const match = /^(W\/)?"(\d{1,15})"$/.exec(tag);
    if (!match) throw new BadHeaderError(header, `has ${JSON.stringify(tag)}, which is not an ETag of this API`);
    if (match[1] && !weak) continue;
    versions.push(Number(match[2]));
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
