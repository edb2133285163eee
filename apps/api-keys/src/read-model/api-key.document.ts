import { AppliedPosition, ApiKeyState } from '@app/contracts';

/**
 * A key's state as the projector folded it, and how far into the log that fold went: replays skip
 * anything at or before `applied`.
 */
export type ProjectedKey = ApiKeyState & { readonly applied: AppliedPosition };

/**
 * How a projected key is stored (collection `api_keys`): the state as it is, plus `_id`, the id
 * as a decimal string. FerretDB finds documents through its `_id` index only for string (or
 * ObjectId) values in a filter of `_id` alone; anything else scans the collection.
 */
export type ApiKeyDocument = ProjectedKey & { readonly _id: string };

export const toDocument = (key: ProjectedKey): ApiKeyDocument => ({ _id: String(key.id), ...key });

export function fromDocument(doc: ApiKeyDocument): ProjectedKey {
  const { _id, ...key } = doc;
  return key;
}
