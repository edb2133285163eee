import { BASE62_ALPHABET, keyChecksum, toBase62 } from './key-checksum';

// Vectors computed outside this code, with Python's zlib.crc32 and a base62 written apart:
//   crc = zlib.crc32(body.encode()); digits = base62(crc).rjust(6, '0')
describe('the key checksum', () => {
  it.each([
    ['123456789', 'the CRC-32 check value 0xcbf43926', '3jZRME'],
    ['', 'CRC-32 0: all padding', '000000'],
    ['a', 'CRC-32 0xe8b7be43', '4GEHKN'],
    ['vk_priv_', 'CRC-32 0x86270f21', '2SJjdJ'],
    ['vk_priv_' + 'A'.repeat(43), 'CRC-32 0xc33c159f', '3ZfdpX'],
    ['vk_pub_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG', 'CRC-32 0x425fff44', '1DMUz6'],
    ['vk_priv_é', 'CRC-32 0x1224036b, of the UTF-8 bytes, left-padded', '0Kb1Lv'],
  ])('of %j (%s) is %s', (body, _, checksum) => {
    expect(keyChecksum(body)).toBe(checksum);
  });

  it('writes base62 most significant digit first, 0-9 then A-Z then a-z, padded to the width', () => {
    expect(BASE62_ALPHABET).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
    expect(toBase62(0, 6)).toBe('000000');
    expect(toBase62(61, 6)).toBe('00000z');
    expect(toBase62(62, 6)).toBe('000010');
    expect(toBase62(62 * 62 - 1, 3)).toBe('0zz');
    // The largest CRC-32 still fits in six digits (62^6 > 2^32).
    expect(toBase62(0xffffffff, 6)).toBe('4gfFC3');
  });
});
