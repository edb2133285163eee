import { createHash, randomBytes } from 'node:crypto';
import type { KeyType } from '@app/contracts';

// A readable prefix says what kind of key it is (and makes leaked keys easy to scan for); the
// rest is 256 random bits, base64url. Only the SHA-256 of the whole string is ever stored.
const PREFIX: Record<KeyType, string> = { private: 'vk_priv_', public: 'vk_pub_' };
const SECRET_SHAPE = /^vk_(priv|pub)_[A-Za-z0-9_-]{43}$/;

export interface NewSecret {
  /** The raw key: shown once in the create response, never stored, published or logged. */
  readonly value: string;
  readonly hash: string;
}

export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newSecret(type: KeyType): NewSecret {
  const value = PREFIX[type] + randomBytes(32).toString('base64url');
  return { value, hash: hashSecret(value) };
}

/** Cheap shape check, so garbage never costs a database lookup. */
export function looksLikeSecret(value: string): boolean {
  return SECRET_SHAPE.test(value);
}
