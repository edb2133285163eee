import { newSecret } from '@app/access';
import { Reply, call, expectErrorEnvelope } from '../support/http';
import { createKey, deleteKey, keyPath, listKeys, updateKey } from '../support/keys';
import { useService, waitUntil } from '../support/service';
import { produceRaw, readTopic } from '../support/topic';
import { RunningVerifier, startVerifier, verdict } from '../support/verifier';

// Usage, apart from the key's state (issue 19, point 4): verifiers and the API's own authentication
// count uses in memory and publish them to the usage topic every USAGE_FLUSH_MS (short here); the
// API projects the topic into its usage read model and answers GET /api_keys/:id/usage.
const FLUSH_MS = '200';
const ZEROS = { DISABLED: 0, EXPIRED: 0, ORIGIN_NOT_ALLOWED: 0, ASSISTANT_NOT_ALLOWED: 0, VALID: 0 };
/** A whole-second UTC time, as the API answers times. */
const WHOLE_SECOND = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('GET /api/v1/api_keys/:id/usage', () => {
  const suite = useService('usage', ['alice', 'bob'] as const, { USAGE_FLUSH_MS: FLUSH_MS });
  const usageTopic = () => `${suite.iso.topic}.usage`;
  /** The usage topic's counts of one key: each entry naming it, with its record's window (schema_version 2). */
  const usesOf = async (keyId: number) =>
    (await readTopic(usageTopic())).flatMap((r) => {
      const { keys, ...window } = r.json;
      return (keys as { api_key_id: number }[])
        .filter((uses) => uses.api_key_id === keyId)
        .map((uses) => ({ ...window, ...uses, record: r }));
    });
  let verifier: RunningVerifier;
  beforeAll(async () => {
    verifier = await startVerifier(suite.iso, { USAGE_FLUSH_MS: FLUSH_MS });
  });
  afterAll(() => verifier?.close());

  const usageOf = (id: number, key = suite.alice.key): Promise<Reply> =>
    call(suite.service.url, 'GET', `${keyPath(id)}/usage`, { key });
  /** Polls the route until `done` holds for its data (a use shows after a flush and its projection). */
  const untilUsage = async (id: number, done: (data: any) => boolean): Promise<any> => {
    let last: Reply | undefined;
    await waitUntil(async () => (last = await usageOf(id)).status === 200 && done(last.body.data), 15_000, 'usage');
    return last!.body.data;
  };
  const verifyUntil = async (body: Record<string, unknown>, code: string) =>
    waitUntil(async () => (await verdict(verifier, body)).code === code, 10_000, `verdict ${code}`);
  const roll = (id: number, seconds: number) =>
    call(suite.service.url, 'POST', `${keyPath(id)}/roll`, {
      key: suite.alice.key,
      body: { expire_previous_in_seconds: seconds },
    });

  it('answers null and zeros for a key never used', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'never used' });
    const reply = await usageOf(key.id);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      status: { code: 200, message: 'API key usage retrieved successfully' },
      data: { last_used_at: null, previous_last_used_at: null, verifications: ZEROS },
    });
  });

  it('counts a verifier’s verifications by code, and tells when the previous secret was last used', async () => {
    const began = Math.floor(Date.now() / 1000) * 1000;
    const key = await createKey(suite.service, suite.alice.key, {
      name: 'widget',
      key_type: 'public',
      allowed_origins: ['https://app.example.com'],
    });
    const origin = 'https://app.example.com';
    await verifyUntil({ key: key.key_value, origin }, 'VALID');
    await verdict(verifier, { key: key.key_value, origin });
    await verdict(verifier, { key: key.key_value, origin: 'https://evil.example.com' });
    // Nothing counted for the key yet by the previous secret.
    let data = await untilUsage(key.id, (d) => d.verifications.VALID >= 2 && d.verifications.ORIGIN_NOT_ALLOWED === 1);
    expect(data.previous_last_used_at).toBeNull();

    const rolled = await roll(key.id, 3600);
    expect(rolled.status).toBe(200);
    const fresh = rolled.body.data.key_value as string;
    await verifyUntil({ key: fresh, origin }, 'VALID');
    expect(await verdict(verifier, { key: key.key_value, origin })).toMatchObject({
      code: 'VALID',
      matched: 'previous',
    });
    expect((await updateKey(suite.service, suite.alice.key, key.id, { enabled: false })).status).toBe(200);
    await verifyUntil({ key: fresh, origin }, 'DISABLED');
    // An unknown secret matches no key: counted for none (the verifier's NOT_FOUND metric only).
    expect((await verdict(verifier, { key: newSecret('public').value, origin })).code).toBe('NOT_FOUND');

    data = await untilUsage(key.id, (d) => d.verifications.DISABLED >= 1 && d.previous_last_used_at !== null);
    const valid = data.verifications.VALID as number;
    expect(valid).toBeGreaterThanOrEqual(4);
    expect(data.verifications).toEqual({
      ...ZEROS,
      VALID: valid,
      ORIGIN_NOT_ALLOWED: 1,
      DISABLED: data.verifications.DISABLED,
    });
    expect(data.last_used_at).toMatch(WHOLE_SECOND);
    expect(data.previous_last_used_at).toMatch(WHOLE_SECOND);
    expect(Date.parse(data.previous_last_used_at)).toBeGreaterThanOrEqual(began);
    expect(Date.parse(data.last_used_at)).toBeGreaterThanOrEqual(Date.parse(data.previous_last_used_at));
    expect(Date.parse(data.last_used_at)).toBeLessThanOrEqual(Date.now());

    // On the topic: the verifier's records of the key, by code and matched secret, never a NOT_FOUND.
    const uses = await usesOf(key.id);
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.every((u) => u.schema_version === 2 && u.source === 'verifier')).toBe(true);
    const previous = uses.reduce((n, u) => n + (u.verifications.VALID?.previous ?? 0), 0);
    expect(previous).toBe(1);
    expect(JSON.stringify(uses.map(({ record: _, ...u }) => u))).not.toContain('NOT_FOUND');
  });

  it('counts the API’s own authentication as a use: accepted, refused, and by the previous secret', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'automation' });
    for (let i = 0; i < 3; i++) expect((await listKeys(suite.service, key.key_value!)).status).toBe(200);
    let data = await untilUsage(key.id, (d) => d.verifications.VALID === 3);
    expect(data).toMatchObject({ previous_last_used_at: null, verifications: { ...ZEROS, VALID: 3 } });

    const rolled = await roll(key.id, 3600);
    expect(rolled.status).toBe(200);
    expect((await listKeys(suite.service, key.key_value!)).status).toBe(200);
    expect((await updateKey(suite.service, suite.alice.key, key.id, { enabled: false })).status).toBe(200);
    const refused = await listKeys(suite.service, rolled.body.data.key_value as string);
    expectErrorEnvelope(refused, 401);
    data = await untilUsage(key.id, (d) => d.verifications.DISABLED === 1 && d.verifications.VALID === 4);
    expect(data.verifications).toEqual({ ...ZEROS, VALID: 4, DISABLED: 1 });
    expect(data.previous_last_used_at).toMatch(WHOLE_SECOND);

    expect(new Set((await usesOf(key.id)).map((u) => u.source))).toEqual(new Set(['api']));
  });

  it('answers a revoked key’s usage to its owner, and 404 for another user’s key or a missing one', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'to revoke' });
    expect((await listKeys(suite.service, key.key_value!)).status).toBe(200);
    await untilUsage(key.id, (d) => d.verifications.VALID === 1);
    expect((await deleteKey(suite.service, suite.alice.key, key.id)).status).toBe(200);
    const revoked = await usageOf(key.id);
    expect(revoked.status).toBe(200);
    expect(revoked.body.data.verifications.VALID).toBe(1);
    expectErrorEnvelope(await usageOf(key.id, suite.bob.key), 404);
    expectErrorEnvelope(await usageOf(987654321), 404);
    expectErrorEnvelope(await usageOf(suite.alice.keyId, suite.bob.key), 404);
  });

  it('counts a record delivered twice once: (instance, sequence) tells the repeat; a version 1 record still counts', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'redelivered' });
    await verifyUntil({ key: key.key_value }, 'VALID');
    await untilUsage(key.id, (d) => d.verifications.VALID === 1);
    const [{ record, ...uses }] = await usesOf(key.id);
    // The same record again (a producer retry that landed twice), then one of another instance in
    // the form of schema_version 1 (one key a record), as producers wrote it before.
    await produceRaw(usageTopic(), { key: record.key!, value: record.value!, headers: record.headers });
    const v1 = {
      ...uses,
      schema_version: 1,
      instance: 'e2e-probe',
      sequence: 1,
      verifications: { EXPIRED: { current: 1, previous: 0 } },
    };
    await produceRaw(usageTopic(), { key: String(key.id), value: JSON.stringify(v1) });
    const data = await untilUsage(key.id, (d) => d.verifications.EXPIRED === 1);
    expect(data.verifications).toEqual({ ...ZEROS, VALID: 1, EXPIRED: 1 });
  });

  it('publishes what a verifier counted when it shuts down, however long its flush interval', async () => {
    const slow = await startVerifier(suite.iso, { USAGE_FLUSH_MS: '600000' });
    const key = await createKey(suite.service, suite.alice.key, { name: 'used before a shutdown' });
    await waitUntil(async () => (await verdict(slow, { key: key.key_value })).code === 'VALID', 10_000, 'VALID');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await usageOf(key.id)).body.data.verifications.VALID).toBe(0);
    await slow.close();
    const data = await untilUsage(key.id, (d) => d.verifications.VALID === 1);
    expect(data.last_used_at).toMatch(WHOLE_SECOND);
  });
});
