// What the two servers that take keys from clients share, the API (apps/api-keys) and the
// verifier (apps/verifier): a key's secret (its shape, checksum and hash), the key as the REST
// API shows it, and the per-address budget of failed attempts. Framework-free, like the domain.
export { hashSecret, newSecret, secretShape } from './api-key-secret';
export type { NewSecret, SecretShape } from './api-key-secret';
export { BASE62_ALPHABET, CHECKSUM_LENGTH, keyChecksum, toBase62 } from './key-checksum';
export { formatTime, toView } from './api-key.view';
export type { ApiKeyView } from './api-key.view';
export { addressBucket } from './address-bucket';
export { TokenBuckets } from './token-bucket';
export type { Budget } from './token-bucket';
