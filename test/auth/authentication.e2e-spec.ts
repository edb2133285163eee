import { randomBytes } from 'node:crypto';
import { Reply, call, expectErrorEnvelope } from '../support/http';
import {
  API_KEYS_PATH,
  ApiKeyData,
  createKey,
  deleteKey,
  expectRefusedWithoutEvent,
  getKey,
  sha256Hex,
} from '../support/keys';
import { useService } from '../support/service';

/** Well-formed (prefix and length right) but never issued. */
const unissuedKey = (prefix: 'vk_priv_' | 'vk_pub_') => prefix + randomBytes(32).toString('base64url');

describe('authentication and authorisation on /api/v1/api_keys', () => {
  const suite = useService('auth', ['alice']);
  const { iso } = suite;

  const as = (headers: Record<string, string>) => (method: string, path: string, body?: unknown) =>
    call(suite.service.url, method, path, { headers, body });

  /** Every route of the key API, with a valid body where it takes one. */
  const everyRoute = (id: number) => [
    { method: 'GET', path: API_KEYS_PATH, body: undefined },
    { method: 'POST', path: API_KEYS_PATH, body: { api_key: { name: 'New', key_type: 'private' } } },
    { method: 'GET', path: `${API_KEYS_PATH}/${id}`, body: undefined },
    { method: 'PUT', path: `${API_KEYS_PATH}/${id}`, body: { api_key: { name: 'Renamed' } } },
    { method: 'DELETE', path: `${API_KEYS_PATH}/${id}`, body: undefined },
  ];

  describe('accepted credentials', () => {
    it('accepts a private key in X-API-Key', async () => {
      const reply = await call(suite.service.url, 'GET', API_KEYS_PATH, { headers: { 'X-API-Key': suite.alice.key } });
      expect(reply.status).toBe(200);
      expect(reply.body.data.map((k: ApiKeyData) => k.id)).toContain(suite.alice.keyId);
    });

    it('accepts a private key as Authorization: Bearer', async () => {
      const reply = await call(suite.service.url, 'GET', API_KEYS_PATH, {
        headers: { Authorization: `Bearer ${suite.alice.key}` },
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data.map((k: ApiKeyData) => k.id)).toContain(suite.alice.keyId);
    });

    it('accepts a private key created through POST, for the same owner', async () => {
      const created = await createKey(suite.service, suite.alice.key, { name: 'Second private key' });
      const reply = await getKey(suite.service, created.key_value!, suite.alice.keyId);
      expect(reply.status).toBe(200);
      expect(reply.body.data.user_id).toBe(suite.alice.userId);
    });
  });

  describe('refused credentials (401 in the error envelope)', () => {
    const cases: [string, () => Record<string, string>][] = [
      ['no credentials at all', () => ({})],
      ['an empty X-API-Key', () => ({ 'X-API-Key': '' })],
      ['a malformed X-API-Key', () => ({ 'X-API-Key': 'not-a-key' })],
      ['a well-formed but unknown private X-API-Key', () => ({ 'X-API-Key': unissuedKey('vk_priv_') })],
      ['a well-formed but unknown public X-API-Key', () => ({ 'X-API-Key': unissuedKey('vk_pub_') })],
      [
        'a real key with one character changed',
        () => ({ 'X-API-Key': suite.alice.key.slice(0, -1) + (suite.alice.key.endsWith('A') ? 'B' : 'A') }),
      ],
      ['a real key with a character appended', () => ({ 'X-API-Key': `${suite.alice.key}x` })],
      ['a real key cut short', () => ({ 'X-API-Key': suite.alice.key.slice(0, -1) })],
      ['the SHA-256 of a real key instead of the key', () => ({ 'X-API-Key': sha256Hex(suite.alice.key) })],
      ['an empty Authorization header', () => ({ Authorization: '' })],
      ['Authorization: Bearer with no token', () => ({ Authorization: 'Bearer ' })],
      ['a malformed Bearer token', () => ({ Authorization: 'Bearer not-a-key' })],
      ['a well-formed but unknown Bearer token', () => ({ Authorization: `Bearer ${unissuedKey('vk_priv_')}` })],
      ['a real key under another scheme (Basic)', () => ({ Authorization: `Basic ${suite.alice.key}` })],
      ['a real key without the Bearer scheme', () => ({ Authorization: suite.alice.key })],
      [
        'a Bearer header carrying two tokens',
        () => ({ Authorization: `Bearer ${suite.alice.key} ${suite.alice.key}` }),
      ],
    ];

    it.each(cases)('refuses %s', async (_, headers) => {
      const reply = await as(headers())('GET', API_KEYS_PATH);
      expectErrorEnvelope(reply, 401);
    });

    it('refuses missing credentials on every route, leaving no event', async () => {
      for (const route of everyRoute(suite.alice.keyId)) {
        const reply = await expectRefusedWithoutEvent(iso.topic, 401, () =>
          as({})(route.method, route.path, route.body),
        );
        expect(reply.status).toBe(401);
      }
    });

    it('refuses unknown credentials on every route, with X-API-Key and with Bearer, leaving no event', async () => {
      const unknown = unissuedKey('vk_priv_');
      for (const headers of [{ 'X-API-Key': unknown }, { Authorization: `Bearer ${unknown}` }] as Record<
        string,
        string
      >[]) {
        for (const route of everyRoute(suite.alice.keyId)) {
          await expectRefusedWithoutEvent(iso.topic, 401, () => as(headers)(route.method, route.path, route.body));
        }
      }
    });

    it('answers a missing, a malformed and an unknown key with the same 401 error sentence', async () => {
      const bodies = await Promise.all(
        ([{}, { 'X-API-Key': 'junk' }, { 'X-API-Key': unissuedKey('vk_priv_') }] as Record<string, string>[]).map(
          async (headers) => (await as(headers)('GET', API_KEYS_PATH)).body,
        ),
      );
      for (const body of bodies) {
        expect(body.status).toEqual({ code: 401, message: expect.any(String) });
        expect(body.error).toBe(bodies[0].error);
      }
    });
  });

  describe('public keys', () => {
    let publicKey: ApiKeyData;

    beforeAll(async () => {
      publicKey = await createKey(suite.service, suite.alice.key, {
        name: 'Browser widget',
        key_type: 'public',
        allowed_origins: ['https://widget.example.com'],
      });
    });

    it('mints public keys with a readable public prefix', () => {
      expect(publicKey.key_type).toBe('public');
      expect(publicKey.key_value).toMatch(/^vk_pub_/);
    });

    it.each([
      ['X-API-Key', (key: string) => ({ 'X-API-Key': key })],
      ['Authorization: Bearer', (key: string) => ({ Authorization: `Bearer ${key}` })],
    ])('refuses a public key in %s with 403 on every route, leaving no event', async (_, headers) => {
      for (const id of [publicKey.id, suite.alice.keyId]) {
        for (const route of everyRoute(id)) {
          const reply = await expectRefusedWithoutEvent(iso.topic, 403, () =>
            as(headers(publicKey.key_value!))(route.method, route.path, route.body),
          );
          expect(reply.body.status.code).toBe(403);
        }
      }
    });

    it('leaves the public key and the key it targeted untouched after the refused calls', async () => {
      const own = await getKey(suite.service, suite.alice.key, publicKey.id);
      expect(own.status).toBe(200);
      expect(own.body.data).toEqual({ ...publicKey, key_value: null });
      const priv = await getKey(suite.service, suite.alice.key, suite.alice.keyId);
      expect(priv.status).toBe(200);
      expect(priv.body.data.name).not.toBe('Renamed');
    });

    it('refuses a public key with 403 even when the request is otherwise invalid', async () => {
      const reply = await call(suite.service.url, 'POST', API_KEYS_PATH, {
        key: publicKey.key_value!,
        body: { api_key: { key_value: 'x' } },
      });
      expectErrorEnvelope(reply, 403);
    });
  });

  describe('revoked keys', () => {
    const listWith = (headers: Record<string, string>) => call(suite.service.url, 'GET', API_KEYS_PATH, { headers });

    it('refuses a key with 401 right after its DELETE answered (deleted by another key of the owner)', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Soon revoked' });
      expect((await listWith({ 'X-API-Key': doomed.key_value! })).status).toBe(200);
      const deleted = await deleteKey(suite.service, suite.alice.key, doomed.id);
      expect(deleted.status).toBe(200);
      expectErrorEnvelope(await listWith({ 'X-API-Key': doomed.key_value! }), 401);
      expectErrorEnvelope(await listWith({ Authorization: `Bearer ${doomed.key_value!}` }), 401);
    });

    it('refuses a key with 401 right after it deleted itself', async () => {
      const self = await createKey(suite.service, suite.alice.key, { name: 'Self-revoking' });
      const deleted = await deleteKey(suite.service, self.key_value!, self.id);
      expect(deleted.status).toBe(200);
      const after = await deleteKey(suite.service, self.key_value!, self.id);
      expectErrorEnvelope(after, 401);
    });

    it('refuses a revoked key on every route, leaving no event, while the owner’s other keys keep working', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Revoked then probed' });
      expect((await deleteKey(suite.service, suite.alice.key, doomed.id)).status).toBe(200);
      for (const route of everyRoute(suite.alice.keyId)) {
        await expectRefusedWithoutEvent(iso.topic, 401, () =>
          as({ 'X-API-Key': doomed.key_value! })(route.method, route.path, route.body),
        );
      }
      expect((await listWith({ 'X-API-Key': suite.alice.key })).status).toBe(200);
    });

    it('refuses a revoked key immediately even when requests are already using it concurrently', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Busy key' });
      const before: Promise<Reply>[] = Array.from({ length: 10 }, () => listWith({ 'X-API-Key': doomed.key_value! }));
      const deleted = await deleteKey(suite.service, suite.alice.key, doomed.id);
      expect(deleted.status).toBe(200);
      // Whatever the in-flight requests got, anything sent after the DELETE answered is refused.
      for (const reply of await Promise.all(before)) expect([200, 401]).toContain(reply.status);
      const after = await Promise.all(Array.from({ length: 10 }, () => listWith({ 'X-API-Key': doomed.key_value! })));
      for (const reply of after) expectErrorEnvelope(reply, 401);
    });
  });
});
