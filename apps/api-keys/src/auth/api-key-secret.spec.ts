import { hashSecret, looksLikeSecret, newSecret } from './api-key-secret';

describe('API key secrets', () => {
  it('says private or public in a readable prefix and carries 256 random bits', () => {
    const privateKey = newSecret('private');
    const publicKey = newSecret('public');
    expect(privateKey.value).toMatch(/^vk_priv_[A-Za-z0-9_-]{43}$/);
    expect(publicKey.value).toMatch(/^vk_pub_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(privateKey.value.slice('vk_priv_'.length), 'base64url')).toHaveLength(32);
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

  it('recognises only well-formed keys', () => {
    expect(looksLikeSecret(newSecret('public').value)).toBe(true);
    expect(looksLikeSecret('vk_priv_short')).toBe(false);
    expect(looksLikeSecret('Bearer something')).toBe(false);
    expect(looksLikeSecret(newSecret('private').value + 'x')).toBe(false);
  });
});
