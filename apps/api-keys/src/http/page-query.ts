import { Matches, ValidateBy } from 'class-validator';
import { WhenPresent } from '../api-key-resource/field-validation';

export const MAX_PAGE_SIZE = 1000;
/** Ids and versions are safe integers: a larger `starting_after` could not be compared exactly. */
export const MAX_STARTING_AFTER = Number.MAX_SAFE_INTEGER;
const STARTING_AFTER_RULE = `$path must be an integer from 1 to ${MAX_STARTING_AFTER}`;

/** `?limit=&starting_after=`: both optional; any other parameter is a 422. */
export class PageQuery {
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
  @Matches(/^[1-9]\d{0,15}$/, { message: STARTING_AFTER_RULE })
  @ValidateBy({
    name: 'startingAfter',
    validator: {
      validate: (value: unknown) => Number(value) <= MAX_STARTING_AFTER,
      defaultMessage: () => STARTING_AFTER_RULE,
    },
  })
  starting_after?: string;
}

/**
 * One page of an ascending list of numbers (ids, versions): those after `starting_after`, at most
 * `limit` (or `defaultLimit`, or all), and the `Link: <…>; rel="next"` header when more follow.
 */
export function pageOf(all: readonly number[], query: PageQuery, path: string, defaultLimit?: number) {
  const after = Number(query.starting_after ?? 0);
  const following = all.filter((n) => n > after);
  const limit = query.limit === undefined ? defaultLimit : Number(query.limit);
  const page = limit === undefined ? following : following.slice(0, limit);
  const headers: Record<string, string> =
    page.length < following.length
      ? { Link: `<${path}?limit=${limit}&starting_after=${page[page.length - 1]}>; rel="next"` }
      : {};
  return { page, headers };
}
