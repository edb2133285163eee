import { crc32 } from 'node:zlib';

/** Digits, then upper case, then lower case: the order in which base62 digits count. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 62^6 > 2^32, so six base62 digits hold any CRC-32. */
export const CHECKSUM_LENGTH = 6;

/** `value` (a non-negative integer) in base62, most significant digit first, left-padded with '0'. */
export function toBase62(value: number, width: number): string {
  let digits = '';
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) digits = BASE62_ALPHABET[rest % 62] + digits;
  return digits.padStart(width, '0');
}

/**
 * The checksum that ends a key: the CRC-32 (IEEE 802.3, as zlib's crc32) of the UTF-8 bytes of
 * everything before it, in six base62 digits. It lets anyone, offline, tell a key we could have
 * issued from a mistyped one or a random look-alike, without asking the service.
 */
export function keyChecksum(body: string): string {
  return toBase62(crc32(Buffer.from(body, 'utf8')), CHECKSUM_LENGTH);
}
