// The usage topic's wire form. Apart from the key's state: where a key is used (a verifier, the
// API's own authentication) counts its uses in memory and publishes, at most every USAGE_FLUSH_MS,
// the uses of every key used since the last time, many keys of one partition a record (a record a
// key cost the producer ~8 times the CPU, measured with kafkajs: docs/benchmarks.md). Keyed by a
// key id of the record, so one key's usage is on one partition, in the order each instance
// published it.
import { VERIFICATION_CODES, VerificationCode } from '@app/domain';
import { Check, isId, isIsoTime, isObject, parseObject } from './decoding';
import {
  API_KEY_USAGE,
  MAX_KEYS_PER_USAGE_RECORD,
  SCHEMA_ID_BASE,
  USAGE_SCHEMA_FILE,
  USAGE_SCHEMA_VERSION,
  USAGE_VERSIONS,
} from './schemas';
import { CE_SOURCE, WireRecord } from './wire';

/**
 * The codes a use of a key can have. NOT_FOUND is not among them: a secret that matched no key
 * (unknown, revoked, past its grace) names no key to count it for.
 */
export const USAGE_CODES = VERIFICATION_CODES.filter((code) => code !== 'NOT_FOUND') as readonly UsageCode[];
export type UsageCode = Exclude<VerificationCode, 'NOT_FOUND'>;

/** Which of a key's secrets a use presented: its current one, or a rolled key's previous one. */
export const MATCHED_SECRETS = ['current', 'previous'] as const;
export type MatchedSecret = (typeof MATCHED_SECRETS)[number];

/** Who counted the uses: a verifier (POST /v1/keys/verify) or the API's own authentication. */
export const USAGE_SOURCES = ['verifier', 'api'] as const;
export type UsageSource = (typeof USAGE_SOURCES)[number];

/** Uses of one key by one code, per matched secret. */
export type SecretCounts = { readonly [M in MatchedSecret]: number };

/** One key's uses counted by one instance in one window: the value of a usage record. */
export interface KeyUsage {
  readonly api_key_id: number;
  readonly source: UsageSource;
  /** The counting process (a fresh id at each start). */
  readonly instance: string;
  /** That instance's flush number, from 1, +1 per flush: with `instance`, the record's identity. */
  readonly sequence: number;
  readonly window_start: string;
  readonly window_end: string;
  /** The latest use in the window, whatever its code. */
  readonly last_used_at: string;
  /** The latest use in the window that presented the key's previous secret; null when none did. */
  readonly previous_last_used_at: string | null;
  /** Only the codes the window saw (at least one). */
  readonly verifications: Partial<Record<UsageCode, SecretCounts>>;
}

/** A usage record that cannot be read. */
export class UnreadableUsageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableUsageError';
  }
}

const check: Check = (condition, reason) => {
  if (!condition) throw new UnreadableUsageError(reason);
};

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** One key's uses in one window: an entry of a usage record. */
export type KeyUses = Pick<KeyUsage, 'api_key_id' | 'last_used_at' | 'previous_last_used_at' | 'verifications'>;

/**
 * What a usage record (schema_version 2) states: one instance's window, and the uses of keys all
 * on one partition of the usage topic (at most MAX_KEYS_PER_USAGE_RECORD, each key once).
 */
export interface UsageBatch {
  readonly source: UsageSource;
  readonly instance: string;
  readonly sequence: number;
  readonly window_start: string;
  readonly window_end: string;
  readonly keys: readonly KeyUses[];
}

/**
 * The record of a batch of keys' usage (schema_version 2): keyed by its first key's id (all its
 * keys share that key's partition; the caller groups them so), ce_id `<instance>:<sequence>:<first
 * key id>`, unique per record since a key is in one record of a window.
 */
export function encodeUsage(batch: UsageBatch, schemaBase: string = SCHEMA_ID_BASE): WireRecord {
  const first = batch.keys[0];
  if (!first || batch.keys.length > MAX_KEYS_PER_USAGE_RECORD)
    throw new Error(`a usage record names 1 to ${MAX_KEYS_PER_USAGE_RECORD} keys, not ${batch.keys.length}`);
  const id = String(first.api_key_id);
  const value = {
    schema_version: USAGE_SCHEMA_VERSION,
    source: batch.source,
    instance: batch.instance,
    sequence: batch.sequence,
    window_start: batch.window_start,
    window_end: batch.window_end,
    keys: batch.keys.map((uses) => ({
      api_key_id: uses.api_key_id,
      last_used_at: uses.last_used_at,
      previous_last_used_at: uses.previous_last_used_at,
      verifications: uses.verifications,
    })),
  };
  return {
    key: id,
    value: JSON.stringify(value),
    headers: {
      ce_specversion: '1.0',
      ce_id: `${batch.instance}:${batch.sequence}:${id}`,
      ce_type: API_KEY_USAGE,
      ce_source: CE_SOURCE,
      ce_time: batch.window_end,
      ce_subject: id,
      ce_dataschema: `${schemaBase}${USAGE_SCHEMA_FILE}`,
      'content-type': 'application/json',
    },
  };
}

/** A key's uses as a record's entry (or, in schema_version 1, the record itself) states them. */
function usesOf(entry: Record<string, unknown>, where: string): KeyUses {
  check(isId(entry.api_key_id), `${where}api_key_id must be a positive integer`);
  check(isIsoTime(entry.last_used_at), `${where}last_used_at must be an ISO 8601 time`);
  check(
    entry.previous_last_used_at === null || isIsoTime(entry.previous_last_used_at),
    `${where}previous_last_used_at must be null or an ISO 8601 time`,
  );
  const verifications = entry.verifications;
  check(
    isObject(verifications) && Object.keys(verifications).length > 0,
    `${where}verifications must be a non-empty object`,
  );
  const counts: Partial<Record<UsageCode, SecretCounts>> = {};
  for (const [code, secrets] of Object.entries(verifications)) {
    check(USAGE_CODES.includes(code as UsageCode), `${where}verifications.${code} is not a usage code`);
    check(
      isObject(secrets) && isCount(secrets.current) && isCount(secrets.previous),
      `${where}verifications.${code} must have current and previous counts`,
    );
    counts[code as UsageCode] = { current: secrets.current, previous: secrets.previous };
  }
  return {
    api_key_id: entry.api_key_id,
    last_used_at: entry.last_used_at,
    previous_last_used_at: entry.previous_last_used_at,
    verifications: counts,
  };
}

/**
 * Reads a usage record of either schema_version: each key's uses with the record's window (one for
 * a version 1 record). Unknown properties are ignored; anything else wrong throws
 * UnreadableUsageError.
 */
export function decodeUsage(value: Buffer | string | null, key: Buffer | string | null): KeyUsage[] {
  const body = parseObject(value, check);
  check(
    (USAGE_VERSIONS as readonly unknown[]).includes(body.schema_version),
    `unknown schema_version ${JSON.stringify(body.schema_version)}`,
  );
  check(USAGE_SOURCES.includes(body.source as UsageSource), 'source must be verifier or api');
  check(typeof body.instance === 'string' && body.instance.length > 0, 'instance must be a non-empty string');
  check(isId(body.sequence), 'sequence must be a positive integer');
  for (const field of ['window_start', 'window_end'] as const)
    check(isIsoTime(body[field]), `${field} must be an ISO 8601 time`);
  const window = {
    source: body.source as UsageSource,
    instance: body.instance,
    sequence: body.sequence,
    window_start: body.window_start as string,
    window_end: body.window_end as string,
  };
  const entries = body.schema_version === 1 ? [body] : body.keys;
  check(
    Array.isArray(entries) && entries.length > 0 && entries.length <= MAX_KEYS_PER_USAGE_RECORD,
    `keys must be a list of 1 to ${MAX_KEYS_PER_USAGE_RECORD} keys' uses`,
  );
  const keys = (entries as unknown[]).map((entry, i) => {
    check(isObject(entry), `keys[${i}] must be an object`);
    return usesOf(entry, body.schema_version === 1 ? '' : `keys[${i}].`);
  });
  check(key !== null && key.toString() === String(keys[0].api_key_id), 'message key does not match api_key_id');
  return keys.map((uses) => ({ ...uses, ...window }));
}
