import { randomBytes } from 'node:crypto';
import { hashSecret, newSecret, secretShape } from './api-key-secret';
import { BASE62_ALPHABET, keyChecksum } from './key-checksum';

/** A key as issued before checksums: prefix and 256 random bits in base64url. */
const legacyKey = (prefix: 'vk_priv_' | 'vk_pub_') => prefix + randomBytes(32).toString('base64url');
/** `key` with the character at `index` replaced by another base62 digit. */
const withTypo = (key: string, index: number) => {
  const at = index < 0 ? key.length + index : index;
  const other = BASE62_ALPHABET[(BASE62_ALPHABET.indexOf(key[at]) + 1) % 62];
  return key.slice(0, at) + other + key.slice(at + 1);
};

describe('API key secrets', () => {
  it('says private or public in a readable prefix, then 43 random base62 digits and a 6-digit checksum', () => {
    const privateKey = newSecret('private');
    const publicKey = newSecret('public');
    expect(privateKey.value).toMatch(/^vk_priv_[0-9A-Za-z]{49}$/);
    expect(publicKey.value).toMatch(/^vk_pub_[0-9A-Za-z]{49}$/);
    expect(privateKey.value.slice(-6)).toBe(keyChecksum(privateKey.value.slice(0, -6)));
    expect(publicKey.value.slice(-6)).toBe(keyChecksum(publicKey.value.slice(0, -6)));
  });

  it('draws every base62 digit of the random part, about equally often', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      for (const digit of newSecret('private').value.slice('vk_priv_'.length, -6)) {
        counts.set(digit, (counts.get(digit) ?? 0) + 1);
      }
    }
    // 86,000 digits: 1,387 each on average, give or take 37 (one standard deviation). Outside
    // 1,200-1,575 (five of them) the draw is biased: a byte taken modulo 62 gives 0-7 about 1,680.
    expect([...counts.keys()].sort().join('')).toBe([...BASE62_ALPHABET].sort().join(''));
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1200);
      expect(count).toBeLessThan(1575);
    }
  });

  it('never repeats a secret', () => {
    const values = new Set(Array.from({ length: 1000 }, () => newSecret('private').value));
    expect(values.size).toBe(1000);
  });

  it('stores the SHA-256 hex digest, not the secret', () => {
    const secret = newSecret('private');
    expect(secret.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(secret.hash).toBe(hashSecret(secret.value));
    expect(secret.hash).not.toContain(secret.value.slice(8));
  });

  describe('the shape of a presented key, judged without a lookup', () => {
    it('accepts a new key whose checksum is right, private or public, and fixed vectors', () => {
      expect(secretShape(newSecret('private').value)).toBe('checksummed');
      expect(secretShape(newSecret('public').value)).toBe('checksummed');
      expect(secretShape('vk_priv_' + 'A'.repeat(43) + '3ZfdpX')).toBe('checksummed');
      expect(secretShape('vk_pub_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG1DMUz6')).toBe('checksummed');
    });

    it('still accepts keys issued before checksums, with - and _ in them', () => {
      expect(secretShape(legacyKey('vk_priv_'))).toBe('legacy');
      expect(secretShape(legacyKey('vk_pub_'))).toBe('legacy');
      expect(secretShape('vk_priv_' + '-_'.repeat(21) + 'A')).toBe('legacy');
    });

    it('refuses a new key with a wrong checksum', () => {
      expect(secretShape('vk_priv_' + 'A'.repeat(43) + '3ZfdpY')).toBe('wrong_checksum');
      expect(secretShape('vk_priv_' + 'A'.repeat(43) + '000000')).toBe('wrong_checksum');
      // The checksum covers the prefix: the same digits under the other prefix do not pass.
      expect(secretShape('vk_pub_' + 'A'.repeat(43) + '3ZfdpX')).toBe('wrong_checksum');
    });

    it('refuses a new key with any one character mistyped, wherever it is', () => {
      const key = newSecret('private').value;
      for (let index = 'vk_priv_'.length; index < key.length; index++) {
        expect([index, secretShape(withTypo(key, index))]).toEqual([index, 'wrong_checksum']);
      }
      expect(secretShape(withTypo(key, -1))).toBe('wrong_checksum');
    });

    it('refuses two neighbouring characters swapped', () => {
      const key = 'vk_priv_' + 'AB'.repeat(21) + 'C';
      const body = key + keyChecksum(key);
      const swapped = body.slice(0, 10) + body[11] + body[10] + body.slice(12);
      expect(secretShape(body)).toBe('checksummed');
      expect(secretShape(swapped)).toBe('wrong_checksum');
    });

    it.each([
      ['a short key', 'vk_priv_short'],
      ['another scheme', 'Bearer something'],
      ['a new key with a character appended', () => newSecret('private').value + 'x'],
      ['a new key cut short', () => newSecret('private').value.slice(0, -1)],
      ['a new key with a - in it', () => newSecret('private').value.replace(/.$/, '-')],
      ['an unknown prefix', () => newSecret('private').value.replace('vk_priv_', 'vk_test_')],
      ['a legacy key with a character appended', () => legacyKey('vk_priv_') + 'x'],
    ])('calls %s malformed', (_, key) => {
      expect(secretShape(typeof key === 'string' ? key : key())).toBe('malformed');
    });
  });
});
