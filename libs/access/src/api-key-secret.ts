import { createHash, randomBytes } from 'node:crypto';
import type { KeyType } from '@app/domain';
import { BASE62_ALPHABET, CHECKSUM_LENGTH, keyChecksum } from './key-checksum';

// A readable prefix says what kind of key it is; then 256 random bits and a checksum, all in
// base62, so that a key is one word (double-click selects it whole, scanners match it whole).
// Only the SHA-256 of the whole string is ever stored.
const PREFIX: Record<KeyType, string> = { private: 'vk_priv_', public: 'vk_pub_' };
/** 43 base62 digits carry 43·log2(62) ≈ 256.03 bits. */
const RANDOM_LENGTH = 43;
/** Issued since the checksum: prefix, 43 random base62 digits, 6 checksum digits (README: the scanners' regex). */
const CHECKSUMMED_SHAPE = /^vk_(priv|pub)_[0-9A-Za-z]{49}$/;
/** Issued before the checksum (prefix, 43 base64url characters); these keep working. */
const LEGACY_SHAPE = /^vk_(priv|pub)_[A-Za-z0-9_-]{43}$/;
// The largest multiple of 62 a byte can hold: bytes from it up are drawn again, so that every
// digit is equally likely.
const UNBIASED_BYTE_LIMIT = 62 * Math.floor(256 / 62);

export interface NewSecret {
  /** The raw key: shown once in the create response, never stored, published or logged. */
  readonly value: string;
  readonly hash: string;
}

export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function randomBase62(length: number): string {
  let digits = '';
  while (digits.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < UNBIASED_BYTE_LIMIT && digits.length < length) digits += BASE62_ALPHABET[byte % 62];
    }
  }
  return digits;
}

export function newSecret(type: KeyType): NewSecret {
  const body = PREFIX[type] + randomBase62(RANDOM_LENGTH);
  const value = body + keyChecksum(body);
  return { value, hash: hashSecret(value) };
}

/**
 * What a presented key looks like, judged without any lookup, so that garbage and typos never
 * cost one: a key of today's shape whose checksum is right, a key issued before checksums, a
 * key of today's shape whose checksum is wrong, or no key of ours at all.
 */
export type SecretShape = 'checksummed' | 'legacy' | 'wrong_checksum' | 'malformed';

export function secretShape(value: string): SecretShape {
  if (CHECKSUMMED_SHAPE.test(value)) {
    const body = value.slice(0, -CHECKSUM_LENGTH);
    return value.slice(-CHECKSUM_LENGTH) === keyChecksum(body) ? 'checksummed' : 'wrong_checksum';
  }
  return LEGACY_SHAPE.test(value) ? 'legacy' : 'malformed';
}
