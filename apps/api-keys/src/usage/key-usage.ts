import { KeyUsage, USAGE_CODES, UsageCode } from '@app/contracts';
import { Schema } from 'mongoose';

/**
 * How many instances' last sequences a key's usage remembers. A repeat of a record (at-least-once
 * delivery, a flush sent again) comes soon after the record itself; an instance is forgotten only
 * once this many others have published uses of the key since, long after any repeat of its records.
 */
export const REMEMBERED_INSTANCES = 64;

/** The last record of one instance applied to a key. */
export interface AppliedUsage {
  readonly instance: string;
  readonly sequence: number;
  readonly window_end: string;
}

/**
 * A key's usage (`api_key_usage`, `_id` = the key id): the usage topic's records of the key summed.
 * Its own read model, apart from the key: not part of its version, ETag, history or the event
 * replay; written only by the usage projector of the key's usage partition, read by `_id`.
 */
export interface KeyUsageDocument {
  readonly _id: string;
  readonly api_key_id: number;
  /** The latest use (any code), RFC 3339 with milliseconds; null: never. */
  readonly last_used_at: string | null;
  /** The latest use that presented a rolled key's previous secret (within its grace); null: never. */
  readonly previous_last_used_at: string | null;
  /** Uses by code (every code, 0 when never). */
  readonly verifications: Readonly<Record<UsageCode, number>>;
  /** The instances whose records were applied last, oldest window first: what tells a repeat. */
  readonly applied: readonly AppliedUsage[];
}

export const KEY_USAGE = 'ApiKeyUsage';
export const keyUsageSchema = new Schema<KeyUsageDocument>(
  { _id: { type: String, required: true } },
  { collection: 'api_key_usage', versionKey: false, _id: false, strict: false },
);

export const noVerifications = (): Record<UsageCode, number> =>
  Object.fromEntries(USAGE_CODES.map((code) => [code, 0])) as Record<UsageCode, number>;

const later = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(b) > Date.parse(a) ? b : a;

/**
 * A key's usage with one more record applied; null when the record is a repeat: its instance's
 * last applied sequence is at or past it (a redelivery, or a flush sent again after its first
 * attempt landed). An instance's records of a key arrive in the order it published them (one
 * partition per key, one producer request in flight), so a lower sequence is always a repeat.
 * Deterministic: the same records in the same order give the same document.
 */
export function foldUsage(doc: KeyUsageDocument | null, usage: KeyUsage): KeyUsageDocument | null {
  const seen = doc?.applied.find((a) => a.instance === usage.instance);
  if (seen && usage.sequence <= seen.sequence) return null;
  const verifications = { ...(doc?.verifications ?? noVerifications()) };
  for (const [code, counts] of Object.entries(usage.verifications))
    verifications[code as UsageCode] = (verifications[code as UsageCode] ?? 0) + counts.current + counts.previous;
  const applied = [
    ...(doc?.applied ?? []).filter((a) => a.instance !== usage.instance),
    { instance: usage.instance, sequence: usage.sequence, window_end: usage.window_end },
  ].sort((a, b) => Date.parse(a.window_end) - Date.parse(b.window_end) || a.instance.localeCompare(b.instance));
  return {
    _id: String(usage.api_key_id),
    api_key_id: usage.api_key_id,
    last_used_at: later(doc?.last_used_at ?? null, usage.last_used_at),
    previous_last_used_at: later(doc?.previous_last_used_at ?? null, usage.previous_last_used_at),
    verifications,
    applied: applied.slice(-REMEMBERED_INSTANCES),
  };
}
