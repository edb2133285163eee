// The usage topic's wire form. Apart from the key's state: where a key is used (a verifier, the
// API's own authentication) counts its uses in memory and publishes, at most every USAGE_FLUSH_MS,
// one record per key used since the last one. Keyed by key id, so one key's usage records are on
// one partition, in the order each instance published them.
import { VERIFICATION_CODES, VerificationCode } from '@app/domain';
import { Check, isId, isIsoTime, isObject, parseObject } from './decoding';
import { API_KEY_USAGE, SCHEMA_ID_BASE, USAGE_SCHEMA_FILE, USAGE_SCHEMA_VERSION } from './schemas';
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

/** The record of one key's usage; ce_id `<instance>:<sequence>:<key id>` is unique per record. */
export function encodeUsage(usage: KeyUsage, schemaBase: string = SCHEMA_ID_BASE): WireRecord {
  const id = String(usage.api_key_id);
  const value = {
    schema_version: USAGE_SCHEMA_VERSION,
    api_key_id: usage.api_key_id,
    source: usage.source,
    instance: usage.instance,
    sequence: usage.sequence,
    window_start: usage.window_start,
    window_end: usage.window_end,
    last_used_at: usage.last_used_at,
    previous_last_used_at: usage.previous_last_used_at,
    verifications: usage.verifications,
  };
  return {
    key: id,
    value: JSON.stringify(value),
    headers: {
      ce_specversion: '1.0',
      ce_id: `${usage.instance}:${usage.sequence}:${id}`,
      ce_type: API_KEY_USAGE,
      ce_source: CE_SOURCE,
      ce_time: usage.window_end,
      ce_subject: id,
      ce_dataschema: `${schemaBase}${USAGE_SCHEMA_FILE}`,
      'content-type': 'application/json',
    },
  };
}

/** Reads a usage record; unknown properties are ignored, anything else wrong throws UnreadableUsageError. */
export function decodeUsage(value: Buffer | string | null, key: Buffer | string | null): KeyUsage {
  const body = parseObject(value, check);
  check(body.schema_version === USAGE_SCHEMA_VERSION, `unknown schema_version ${JSON.stringify(body.schema_version)}`);
  check(isId(body.api_key_id), 'api_key_id must be a positive integer');
  check(key !== null && key.toString() === String(body.api_key_id), 'message key does not match api_key_id');
  check(USAGE_SOURCES.includes(body.source as UsageSource), 'source must be verifier or api');
  check(typeof body.instance === 'string' && body.instance.length > 0, 'instance must be a non-empty string');
  check(isId(body.sequence), 'sequence must be a positive integer');
  for (const field of ['window_start', 'window_end', 'last_used_at'] as const)
    check(isIsoTime(body[field]), `${field} must be an ISO 8601 time`);
  check(
    body.previous_last_used_at === null || isIsoTime(body.previous_last_used_at),
    'previous_last_used_at must be null or an ISO 8601 time',
  );
  const verifications = body.verifications;
  check(isObject(verifications) && Object.keys(verifications).length > 0, 'verifications must be a non-empty object');
  const counts: Partial<Record<UsageCode, SecretCounts>> = {};
  for (const [code, secrets] of Object.entries(verifications)) {
    check(USAGE_CODES.includes(code as UsageCode), `verifications.${code} is not a usage code`);
    check(
      isObject(secrets) && isCount(secrets.current) && isCount(secrets.previous),
      `verifications.${code} must have current and previous counts`,
    );
    counts[code as UsageCode] = { current: secrets.current, previous: secrets.previous };
  }
  return {
    api_key_id: body.api_key_id,
    source: body.source as UsageSource,
    instance: body.instance,
    sequence: body.sequence,
    window_start: body.window_start as string,
    window_end: body.window_end as string,
    last_used_at: body.last_used_at as string,
    previous_last_used_at: body.previous_last_used_at,
    verifications: counts,
  };
}
