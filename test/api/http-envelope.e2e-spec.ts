import { Reply, call, expectErrorEnvelope, readReply } from '../support/http';
import {
  API_KEYS_PATH,
  ApiKeyData,
  createKey,
  deleteKey,
  expectRefusedWithoutEvent,
  getKey,
  listKeys,
} from '../support/keys';
import {
  Isolation,
  RunningService,
  User,
  isolation,
  newUser,
  startService,
  testConfig,
  useService,
} from '../support/service';

/** A valid create body padded with JSON whitespace to exactly `bytes` bytes. */
function createBodyOfSize(bytes: number): string {
  const body = JSON.stringify({ api_key: { name: 'Sized', key_type: 'private' } });
  if (bytes < body.length) throw new Error('too small');
  return body.slice(0, -1) + ' '.repeat(bytes - body.length) + '}';
}

/** Sends raw bytes with the given headers (and no Content-Type unless given). */
async function send(
  url: string,
  method: string,
  body: string | Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): Promise<Reply> {
  return readReply(await fetch(url, { method, headers, body, duplex: 'half' }));
}

/** A body with no Content-Length, streamed in chunks (Transfer-Encoding: chunked). */
function chunked(text: string, chunk = 8192): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

describe('HTTP surface: envelope, body parsing and its errors', () => {
  const suite = useService('http', ['alice']);
  const { iso } = suite;
  let existing: ApiKeyData;

  beforeAll(async () => {
    existing = await createKey(suite.service, suite.alice.key, { name: 'Target of PUTs' });
  });

  const json = { 'Content-Type': 'application/json' };
  const postRaw = (body: string | Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = json) =>
    send(`${suite.service.url}${API_KEYS_PATH}`, 'POST', body, { 'X-API-Key': suite.alice.key, ...headers });
  const putRaw = (body: string | Uint8Array, headers: Record<string, string> = json) =>
    send(`${suite.service.url}${API_KEYS_PATH}/${existing.id}`, 'PUT', body, {
      'X-API-Key': suite.alice.key,
      ...headers,
    });

  describe('success envelope', () => {
    it('answers every success as {status: {code = HTTP status, message}, data}', async () => {
      const created = await call(suite.service.url, 'POST', API_KEYS_PATH, {
        key: suite.alice.key,
        body: { api_key: { name: 'Envelope', key_type: 'private' } },
      });
      const replies = [
        created,
        await listKeys(suite.service, suite.alice.key),
        await getKey(suite.service, suite.alice.key, created.body.data.id),
        await call(suite.service.url, 'PUT', `${API_KEYS_PATH}/${created.body.data.id}`, {
          key: suite.alice.key,
          body: { api_key: { name: 'Envelope 2' } },
        }),
        await deleteKey(suite.service, suite.alice.key, created.body.data.id),
      ];
      expect(replies.map((r) => r.status)).toEqual([201, 200, 200, 200, 200]);
      for (const reply of replies) {
        expect(Object.keys(reply.body).sort()).toEqual(['data', 'status']);
        expect(reply.body.status).toEqual({ code: reply.status, message: expect.stringMatching(/\S/) });
        expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      }
    });

    it('answers an unknown route under /api/v1 with 404 in the error envelope', async () => {
      expectErrorEnvelope(await call(suite.service.url, 'GET', '/api/v1/not_a_route', { key: suite.alice.key }), 404);
    });
  });

  describe('malformed JSON: 400, no event', () => {
    it.each([
      ['a truncated object', '{"api_key": {"name": "x", "key_type": "private"'],
      ['single quotes', "{'api_key': {'name': 'x', 'key_type': 'private'}}"],
      ['a trailing comma', '{"api_key": {"name": "x", "key_type": "private",}}'],
      ['an unquoted key', '{api_key: {"name": "x", "key_type": "private"}}'],
      ['two documents', '{"api_key": {}}{"api_key": {}}'],
      ['plain text', 'hello'],
    ])('answers 400 to %s on POST', async (_, body) => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 400, () => postRaw(body));
      expect(reply.body.errors.length).toBeGreaterThan(0);
    });

    it('answers 400 to malformed JSON on PUT, leaving the key as it was', async () => {
      await expectRefusedWithoutEvent(iso.topic, 400, () => putRaw('{"api_key": {"name": "x"'));
      const reply = await getKey(suite.service, suite.alice.key, existing.id);
      expect(reply.body.data).toEqual({ ...existing, key_value: null });
    });
  });

  describe('body size limit (HTTP_BODY_LIMIT_BYTES, default 65536): 413, no event', () => {
    it('accepts a body of exactly 65536 bytes', async () => {
      const reply = await postRaw(createBodyOfSize(65536));
      expect(reply.status).toBe(201);
    });

    it('answers 413 to a body of 65537 bytes', async () => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 413, () => postRaw(createBodyOfSize(65537)));
      expect(reply.body.errors.join(' ')).toContain('65536');
    });

    it('answers 413 to a body of several megabytes', async () => {
      await expectRefusedWithoutEvent(iso.topic, 413, () => postRaw(createBodyOfSize(4 * 1024 * 1024)));
    });

    it('answers 413 to an oversized body streamed without Content-Length', async () => {
      await expectRefusedWithoutEvent(iso.topic, 413, () => postRaw(chunked(createBodyOfSize(200 * 1024)), json));
    });

    it('answers 413 to an oversized PUT body', async () => {
      await expectRefusedWithoutEvent(iso.topic, 413, () =>
        putRaw(JSON.stringify({ api_key: { name: 'x'.repeat(70000) } })),
      );
    });

    describe('with HTTP_BODY_LIMIT_BYTES=2048', () => {
      let small: RunningService;
      let smallIso: Isolation;
      let bob: User;

      beforeAll(async () => {
        smallIso = isolation('http-small');
        small = await startService(testConfig(smallIso, { HTTP_BODY_LIMIT_BYTES: '2048' }));
        bob = await newUser(small);
      });
      afterAll(() => small?.close());

      it('accepts 2048 bytes and answers 413 naming the limit to 2049, with no event', async () => {
        const at = await send(`${small.url}${API_KEYS_PATH}`, 'POST', createBodyOfSize(2048), {
          'X-API-Key': bob.key,
          ...json,
        });
        expect(at.status).toBe(201);
        const over = await expectRefusedWithoutEvent(smallIso.topic, 413, () =>
          send(`${small.url}${API_KEYS_PATH}`, 'POST', createBodyOfSize(2049), { 'X-API-Key': bob.key, ...json }),
        );
        expect(over.body.errors.join(' ')).toContain('2048');
      });
    });
  });

  describe('content type: anything but JSON is 415, no event', () => {
    const body = JSON.stringify({ api_key: { name: 'Typed', key_type: 'private' } });

    it.each([
      ['text/plain', { 'Content-Type': 'text/plain' }],
      ['form-urlencoded', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=xyz' }],
      ['application/xml', { 'Content-Type': 'application/xml' }],
      ['application/jsonp', { 'Content-Type': 'application/jsonp' }],
      ['text/json', { 'Content-Type': 'text/json' }],
      ['an empty Content-Type', { 'Content-Type': '' }],
      ['no Content-Type at all', {}],
      ['JSON in an unsupported charset', { 'Content-Type': 'application/json; charset=latin1' }],
    ])('answers 415 to %s on POST', async (_, headers: Record<string, string>) => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 415, () =>
        postRaw(new TextEncoder().encode(body), headers),
      );
      expect(reply.body.errors.length).toBeGreaterThan(0);
    });

    it.each([
      ['a form', 'api_key[name]=x', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['JSON sent as text/plain', '{"api_key":{"name":"x"}}', { 'Content-Type': 'text/plain;charset=UTF-8' }],
    ])('answers 415 to %s on PUT, leaving the key as it was', async (_, body, headers: Record<string, string>) => {
      await expectRefusedWithoutEvent(iso.topic, 415, () => putRaw(body, headers));
      const reply = await getKey(suite.service, suite.alice.key, existing.id);
      expect(reply.body.data).toEqual({ ...existing, key_value: null });
    });

    it.each([['application/json; charset=utf-8'], ['Application/JSON'], ['application/json;charset=UTF-8']])(
      'accepts %s',
      async (contentType) => {
        const reply = await postRaw(body, { 'Content-Type': contentType });
        expect(reply.status).toBe(201);
      },
    );

    it('does not ask GET or DELETE for a Content-Type', async () => {
      const doomed = await createKey(suite.service, suite.alice.key, { name: 'Deleted without body' });
      const reply = await send(`${suite.service.url}${API_KEYS_PATH}/${doomed.id}`, 'DELETE', new Uint8Array(0), {
        'X-API-Key': suite.alice.key,
      });
      expect(reply.status).toBe(200);
    });
  });
});
