import { newSecret } from '@app/access';
import { call, expectErrorEnvelope } from '../support/http';
import { CapturedLogs } from '../support/logs';
import { createKey, deleteKey, getKey, keyPath, sha256Hex, updateKey } from '../support/keys';
import { useService } from '../support/service';
import { RunningVerifier, VERIFIER_TOKEN, startVerifier, untilCode, verdict, verify } from '../support/verifier';

/** A whole-second UTC time `seconds` from now (rounded up), as expires_at takes it. */
const secondsFromNow = (seconds: number) =>
  new Date(Math.ceil(Date.now() / 1000) * 1000 + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const sleepUntil = (time: string) => new Promise((r) => setTimeout(r, Math.max(0, Date.parse(time) - Date.now() + 50)));

describe('POST /v1/keys/verify on a verifier reading the state topic', () => {
  const suite = useService('verifier-codes', ['alice'] as const);
  let verifier: RunningVerifier;
  beforeAll(async () => {
    verifier = await startVerifier(suite.iso);
  });
  afterAll(() => verifier?.close());

  const shown = async (id: number) => (await getKey(suite.service, suite.alice.key, id)).body.data;

  it('answers VALID with the key exactly as the API’s GET shows it, and never its secret', async () => {
    const key = await createKey(suite.service, suite.alice.key, { name: 'Widget', meta: { plan: 'pro' } });
    const data = await untilCode(verifier, { key: key.key_value }, 'VALID');
    expect(data).toEqual({ valid: true, code: 'VALID', key: await shown(key.id), matched: 'current' });
    expect(data.key.key_value).toBeNull();
    expect(JSON.stringify(data)).not.toMatch(/key_hash|[0-9a-f]{64}/);
  });

  it('answers NOT_FOUND, without a key, for an unknown, malformed, mistyped or revoked key', async () => {
    const unknown = newSecret('private').value;
    const key = await createKey(suite.service, suite.alice.key);
    const secret = key.key_value!;
    const mistyped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    await untilCode(verifier, { key: secret }, 'VALID');
    for (const presented of [unknown, 'hello', '', mistyped])
      expect(await verdict(verifier, { key: presented })).toEqual({
        valid: false,
        code: 'NOT_FOUND',
        key: null,
        matched: null,
      });
    expect((await deleteKey(suite.service, suite.alice.key, key.id)).status).toBe(200);
    expect(await untilCode(verifier, { key: secret }, 'NOT_FOUND')).toEqual({
      valid: false,
      code: 'NOT_FOUND',
      key: null,
      matched: null,
    });
  });

  it('answers DISABLED for a disabled key, also once it has expired too, and EXPIRED once re-enabled', async () => {
    const expiresAt = secondsFromNow(2);
    const key = await createKey(suite.service, suite.alice.key, { expires_at: expiresAt });
    await untilCode(verifier, { key: key.key_value }, 'VALID');
    expect((await updateKey(suite.service, suite.alice.key, key.id, { enabled: false })).status).toBe(200);
    const disabled = await untilCode(verifier, { key: key.key_value }, 'DISABLED');
    expect(disabled).toEqual({ valid: false, code: 'DISABLED', key: await shown(key.id), matched: 'current' });
    await sleepUntil(expiresAt);
    expect((await verdict(verifier, { key: key.key_value })).code).toBe('DISABLED');
    expect((await updateKey(suite.service, suite.alice.key, key.id, { enabled: true })).status).toBe(200);
    const expired = await untilCode(verifier, { key: key.key_value }, 'EXPIRED');
    expect(expired).toEqual({ valid: false, code: 'EXPIRED', key: await shown(key.id), matched: 'current' });
  });

  it('answers ORIGIN_NOT_ALLOWED for a public key used from another origin or none', async () => {
    const key = await createKey(suite.service, suite.alice.key, {
      key_type: 'public',
      allowed_origins: ['https://app.example.com'],
    });
    await untilCode(verifier, { key: key.key_value, origin: 'https://app.example.com' }, 'VALID');
    for (const origin of ['https://evil.example.com', null, undefined])
      expect(await verdict(verifier, { key: key.key_value, origin })).toEqual({
        valid: false,
        code: 'ORIGIN_NOT_ALLOWED',
        key: await shown(key.id),
        matched: 'current',
      });
  });

  it('answers ASSISTANT_NOT_ALLOWED for a key used for an assistant it does not list', async () => {
    const key = await createKey(suite.service, suite.alice.key, { allowed_assistants: ['asst-1', 'asst-2'] });
    await untilCode(verifier, { key: key.key_value, assistant_id: 'asst-2' }, 'VALID');
    const refused = await verdict(verifier, { key: key.key_value, assistant_id: 'asst-3' });
    expect(refused).toEqual({
      valid: false,
      code: 'ASSISTANT_NOT_ALLOWED',
      key: await shown(key.id),
      matched: 'current',
    });
  });

  it('takes both secrets of a key rolled with a grace, the previous one as "previous" and only until its grace ends', async () => {
    const key = await createKey(suite.service, suite.alice.key);
    const old = key.key_value!;
    await untilCode(verifier, { key: old }, 'VALID');
    const roll = await call(suite.service.url, 'POST', `${keyPath(key.id)}/roll`, {
      key: suite.alice.key,
      body: { expire_previous_in_seconds: 3 },
    });
    expect(roll.status).toBe(200);
    const current = roll.body.data.key_value as string;
    const during = await untilCode(verifier, { key: current }, 'VALID');
    expect(during).toEqual({ valid: true, code: 'VALID', key: await shown(key.id), matched: 'current' });
    expect(during.key.previous_key_expires_at).toBe(roll.body.data.previous_key_expires_at);
    expect(await verdict(verifier, { key: old })).toEqual({ ...during, matched: 'previous' });
    await sleepUntil(roll.body.data.previous_key_expires_at);
    expect(await verdict(verifier, { key: old })).toEqual({
      valid: false,
      code: 'NOT_FOUND',
      key: null,
      matched: null,
    });
    expect(await verdict(verifier, { key: current })).toMatchObject({ code: 'VALID', matched: 'current' });
  });

  it('drops the replaced secret at once after a roll without a grace', async () => {
    const key = await createKey(suite.service, suite.alice.key);
    await untilCode(verifier, { key: key.key_value }, 'VALID');
    const roll = await call(suite.service.url, 'POST', `${keyPath(key.id)}/roll`, { key: suite.alice.key, body: {} });
    expect(roll.status).toBe(200);
    await untilCode(verifier, { key: roll.body.data.key_value }, 'VALID');
    expect((await verdict(verifier, { key: key.key_value })).code).toBe('NOT_FOUND');
  });

  it('answers 401 without the token or with a wrong one, in the API’s envelope', async () => {
    const body = { key: suite.alice.key };
    for (const token of [null, 'wrong-token', `${VERIFIER_TOKEN}x`]) {
      const reply = await verify(verifier, body, token);
      expectErrorEnvelope(reply, 401);
      expect(reply.text).not.toContain(suite.alice.key);
    }
    const basic = await call(verifier.url, 'POST', '/v1/keys/verify', {
      body,
      headers: { Authorization: `Basic ${VERIFIER_TOKEN}` },
    });
    expectErrorEnvelope(basic, 401);
  });

  it('answers 400, 415 and 422 for bodies it cannot judge, 405 for another method, 404 elsewhere', async () => {
    const headers = { Authorization: `Bearer ${VERIFIER_TOKEN}`, 'Content-Type': 'application/json' };
    const malformed = await call(verifier.url, 'POST', '/v1/keys/verify', { rawBody: '{"key":', headers });
    expectErrorEnvelope(malformed, 400);
    const text = await call(verifier.url, 'POST', '/v1/keys/verify', {
      rawBody: 'vk_priv_x',
      headers: { ...headers, 'Content-Type': 'text/plain' },
    });
    expectErrorEnvelope(text, 415);
    const invalid = await verify(verifier, { key: 42, origin: 7, min_position: '1-2', extra: true });
    expectErrorEnvelope(invalid, 422);
    expect(invalid.body.errors).toEqual(
      expect.arrayContaining([
        'extra is not allowed',
        'key must be a string',
        expect.stringMatching(/^origin /),
        expect.stringMatching(/^min_position /),
      ]),
    );
    expectErrorEnvelope(await verify(verifier, ['not', 'an', 'object']), 422);
    const get = await call(verifier.url, 'GET', '/v1/keys/verify', { headers });
    expectErrorEnvelope(get, 405);
    expect(get.headers.get('allow')).toBe('POST');
    expectErrorEnvelope(await call(verifier.url, 'GET', '/v1/keys/nope', { headers }), 404);
  });

  it('counts verifications by code and reports keys held and the state topic’s lag', async () => {
    await verdict(verifier, { key: 'hello' });
    const metrics = await (await fetch(`${verifier.url}/metrics`)).text();
    expect(metrics).toMatch(/^api_keys_verifier_verifications_total\{code="NOT_FOUND"\} [1-9]/m);
    expect(metrics).toMatch(/^api_keys_verifier_verifications_total\{code="VALID"\} [1-9]/m);
    expect(metrics).toMatch(/^api_keys_verifier_keys_held [1-9]/m);
    expect(metrics).toMatch(/^api_keys_verifier_state_topic_lag_records\{partition="0"\} \d+/m);
    expect(metrics).toMatch(/^api_keys_verifier_verify_duration_seconds_bucket/m);
  });
});

describe('the verifier’s failed-token budget', () => {
  const suite = useService('verifier-budget', ['alice'] as const);
  let verifier: RunningVerifier;
  beforeAll(async () => {
    verifier = await startVerifier(suite.iso, { AUTH_FAILURES_PER_ADDRESS: '2' });
  });
  afterAll(() => verifier?.close());

  it('answers 429 with Retry-After once an address spent it, and still lets the right token through', async () => {
    const body = { key: suite.alice.key };
    expectErrorEnvelope(await verify(verifier, body, 'wrong-1'), 401);
    expectErrorEnvelope(await verify(verifier, body, null), 401);
    const refused = await verify(verifier, body, 'wrong-3');
    expectErrorEnvelope(refused, 429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await verify(verifier, body)).status).toBe(200);
  });
});

describe('the verifier’s logs', () => {
  const suite = useService('verifier-logs', ['alice'] as const);
  const logs = new CapturedLogs();
  let verifier: RunningVerifier;
  beforeAll(async () => {
    verifier = await startVerifier(suite.iso, { AUTH_FAILURES_PER_ADDRESS: '1' }, { logger: logs });
  });
  afterAll(() => verifier?.close());

  it('never hold a key, its hash or the token, at the most verbose level, whatever the answer', async () => {
    const key = await createKey(suite.service, suite.alice.key);
    const secret = key.key_value!;
    await untilCode(verifier, { key: secret }, 'VALID');
    await verify(verifier, { key: secret, min_position: '0:999999999' }).catch(() => undefined);
    await verify(verifier, { key: secret, extra: 1 });
    await call(verifier.url, 'POST', '/v1/keys/verify', {
      rawBody: `{"key":"${secret}"`,
      headers: { Authorization: `Bearer ${VERIFIER_TOKEN}`, 'Content-Type': 'application/json' },
    });
    await verify(verifier, { key: secret }, secret);
    await verify(verifier, { key: secret }, secret);
    expect(logs.lines.length).toBeGreaterThan(0);
    const text = logs.lines.join('\n');
    for (const secretThing of [secret, sha256Hex(secret), suite.alice.key, VERIFIER_TOKEN])
      expect(text).not.toContain(secretThing);
  });
});
