import { gzipSync } from 'node:zlib';
import net from 'node:net';
import { Reply, call, expectErrorEnvelope, readReply } from '../support/http';
import { CapturedLogs } from '../support/logs';
import { API_KEYS_PATH, ApiKeyData, createKey, expectRefusedWithoutEvent, getKey, keyPath } from '../support/keys';
import {
  RunningService,
  User,
  closeAll,
  isolation,
  newUser,
  startService,
  testConfig,
  waitUntil,
} from '../support/service';

const json = (value: unknown) => JSON.stringify(value);
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('HTTP hardening', () => {
  const iso = isolation('hardening');
  const logs = new CapturedLogs();
  let service: RunningService;
  let alice: User;
  let existing: ApiKeyData;

  beforeAll(async () => {
    service = await startService(
      testConfig(iso, {
        LOG_LEVEL: 'info',
        HTTP_HEADERS_TIMEOUT_MS: '2000',
        HTTP_REQUEST_TIMEOUT_MS: '4000',
        HTTP_MAX_CONNECTIONS: '20',
      }),
      logs,
    );
    alice = await newUser(service);
    existing = await createKey(service, alice.key, { name: 'Target' });
  });
  afterAll(() => closeAll([service]));

  /** A PUT of the existing key with raw bytes and headers of the test's choosing. */
  const putRaw = async (body: string | Uint8Array, headers: Record<string, string>): Promise<Reply> =>
    readReply(
      await fetch(`${service.url}${keyPath(existing.id)}`, {
        method: 'PUT',
        headers: { 'X-API-Key': alice.key, ...headers },
        body,
      }),
    );

  describe('bad bytes are a 4xx in the envelope, never a 500, and record nothing', () => {
    it.each([
      [
        'a corrupt gzip body',
        400,
        () => putRaw('not gzip at all', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }),
      ],
      [
        'plain bytes labelled Content-Encoding: br',
        400,
        () =>
          putRaw(json({ api_key: { name: 'x' } }), { 'Content-Type': 'application/json', 'Content-Encoding': 'br' }),
      ],
      [
        'an encoding the service does not read',
        415,
        () => putRaw('x', { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' }),
      ],
      [
        'JSON nested 1,400 levels deep',
        400,
        () => putRaw(json({ api_key: JSON.parse(nested(1400)) as unknown }), { 'Content-Type': 'application/json' }),
      ],
      ['JSON nested 33 levels deep', 400, () => putRaw(nested(33), { 'Content-Type': 'application/json' })],
      ['a charset other than UTF-8', 415, () => putRaw('{}', { 'Content-Type': 'application/json; charset=latin1' })],
    ])('answers %s with %i', async (_, status, send) => {
      await expectRefusedWithoutEvent(iso.topic, status, send);
    });

    it('reads a valid gzip body', async () => {
      const reply = await putRaw(gzipSync(json({ api_key: { name: 'Zipped' } })), {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data.name).toBe('Zipped');
    });

    it('names what was sent in a 415', async () => {
      const latin = await putRaw('{}', { 'Content-Type': 'application/json; charset=latin1' });
      expect(latin.body.errors[0]).toContain('application/json; charset=latin1');
      const text = await putRaw('{}', { 'Content-Type': 'text/plain' });
      expect(text.body.errors).toEqual(['Content-Type "text/plain" is not application/json']);
    });

    it('logs nothing at error level for any of them, nor for a client that hangs up mid-body', async () => {
      const socket = net.connect(Number(new URL(service.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `PUT ${keyPath(existing.id)} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${alice.key}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"api_key":',
      );
      await new Promise((r) => setTimeout(r, 300));
      socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const errors = logs.lines.filter((line) => /level: '(error|fatal)'/.test(line));
      expect(errors).toEqual([]);
      expect(logs.lines.some((line) => line.includes('client closed the connection before the answer'))).toBe(true);
    });
  });

  describe('slow and idle clients', () => {
    /** Opens a connection and calls `write` on it; resolves with ms until the server closed it. */
    const closedAfter = (write: (socket: net.Socket) => void) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = net.connect(Number(new URL(service.url).port), '127.0.0.1', () => write(socket));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Date.now() - started));
      });

    it('closes a connection that trickles its headers once HTTP_HEADERS_TIMEOUT_MS has passed', async () => {
      let timer: NodeJS.Timeout | undefined;
      const ms = await closedAfter((socket) => {
        const bytes = `GET ${API_KEYS_PATH} HTTP/1.1\r\nX-Slow: ${'a'.repeat(200)}`;
        let i = 0;
        timer = setInterval(() => socket.writable && socket.write(bytes[i++ % bytes.length]), 250);
      });
      clearInterval(timer);
      // 2 s deadline, checked every second.
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(6000);
    });

    it('closes a connection that sends nothing once HTTP_HEADERS_TIMEOUT_MS has passed', async () => {
      const ms = await closedAfter(() => undefined);
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(6000);
    });

    it('accepts no more than HTTP_MAX_CONNECTIONS at once', async () => {
      const open: net.Socket[] = [];
      for (let i = 0; i < 20; i++) {
        const socket = net.connect(Number(new URL(service.url).port), '127.0.0.1');
        socket.on('error', () => undefined);
        open.push(socket);
      }
      await new Promise((r) => setTimeout(r, 200));
      const extra = await closedAfter(() => undefined);
      open.forEach((socket) => socket.destroy());
      await new Promise((r) => setTimeout(r, 500)); // let the server count them closed
      expect(extra).toBeLessThan(1000);
    });
  });

  describe('headers', () => {
    it('sends nosniff and no-store on every answer and no X-Powered-By; the secret’s answer has only its version as ETag', async () => {
      const created = await call(service.url, 'POST', API_KEYS_PATH, {
        key: alice.key,
        body: { api_key: { name: 'Secret holder', key_type: 'private' } },
      });
      expect(created.status).toBe(201);
      const replies = [created, await getKey(service, alice.key, 987654321), await getKey(service, 'nope', 1)];
      for (const reply of replies) {
        expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
        expect(reply.headers.get('cache-control')).toBe('no-store');
        expect(reply.headers.get('x-powered-by')).toBeNull();
      }
      // Not a digest of the body, which holds the secret: the key's version, as every answer for one key.
      expect(created.headers.get('etag')).toBe('"1"');
    });

    it.each([
      ['PATCH', keyPath(1), 'GET, PUT, DELETE, HEAD'],
      ['POST', keyPath(1), 'GET, PUT, DELETE, HEAD'],
      ['DELETE', API_KEYS_PATH, 'POST, GET, HEAD'],
      ['PUT', API_KEYS_PATH, 'POST, GET, HEAD'],
    ])('answers %s %s with 405 and Allow, before looking at the body or the caller', async (method, path, allow) => {
      const reply = await readReply(
        await fetch(`${service.url}${path}`, { method, headers: { 'Content-Type': 'text/plain' }, body: 'x' }),
      );
      expectErrorEnvelope(reply, 405);
      expect(reply.headers.get('allow')?.split(', ').sort()).toEqual(allow.split(', ').sort());
    });

    it('answers an unknown path with 404, whatever the method and body', async () => {
      const reply = await readReply(
        await fetch(`${service.url}/api/v1/nothing`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          body: 'x',
        }),
      );
      expectErrorEnvelope(reply, 404);
    });
  });

  describe('credentials and input rules', () => {
    it('refuses X-API-Key and Authorization naming different keys, saying why', async () => {
      const other = await createKey(service, alice.key, { name: 'Other' });
      const reply = await call(service.url, 'GET', API_KEYS_PATH, {
        key: alice.key,
        headers: { Authorization: `Bearer ${other.key_value}` },
      });
      expectErrorEnvelope(reply, 401);
      expect(reply.body.errors).toEqual(['X-API-Key and Authorization name different keys: send one']);
      const same = await call(service.url, 'GET', API_KEYS_PATH, {
        key: alice.key,
        headers: { Authorization: `Bearer ${alice.key}` },
      });
      expect(same.status).toBe(200);
    });

    it.each([
      [
        'a name of zero-width characters only',
        { name: '\u200B\u200D\u2060' },
        'api_key.name must contain a visible character',
      ],
      ['a name with a left-to-right mark', { name: 'Key\u200E' }, 'api_key.name must not contain control characters'],
      [
        'NFC and NFD forms of one assistant id',
        { allowed_assistants: ['caf\u00E9', 'cafe\u0301'] },
        'api_key.allowed_assistants must not contain duplicates',
      ],
    ])('refuses %s with 422 and records nothing', async (_, fields, message) => {
      const reply = await expectRefusedWithoutEvent(iso.topic, 422, () =>
        call(service.url, 'PUT', keyPath(existing.id), { key: alice.key, body: { api_key: fields } }),
      );
      expect(reply.body.errors).toEqual([message]);
    });
  });

  describe('the request log', () => {
    it.each([
      ['a route of the API', () => `${API_KEYS_PATH}/${existing.id}`, 200],
      ['a health route below another health route', () => '/health/ready', 200],
      ['a route outside /api/v1', () => '/metrics', 200],
      ['an unknown route', () => '/no-such-route', 404],
    ])('writes one line, with the request id it answers with, for %s', async (_, path, status) => {
      const requestId = `log-once-${path().replaceAll('/', '-')}`;
      const response = await fetch(`${service.url}${path()}`, {
        headers: { 'X-API-Key': alice.key, 'X-Request-Id': requestId },
      });
      await response.arrayBuffer();
      expect(response.status).toBe(status);
      expect(response.headers.get('x-request-id')).toBe(requestId);
      const linesOf = () => logs.lines.filter((line) => line.includes(`requestId: '${requestId}'`));
      await waitUntil(async () => linesOf().length > 0, 5000, `the log line of ${requestId}`);
      // Every listener of the response's close event has run by now: a second line would be here.
      await new Promise((resolve) => setImmediate(resolve));
      expect(linesOf()).toHaveLength(1);
    });
  });
});
