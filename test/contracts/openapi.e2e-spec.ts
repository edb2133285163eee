import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Reply, call, readReply } from '../support/http';
import { API_KEYS_PATH, createKey, keyPath } from '../support/keys';
import { newUser, startService, testConfig, useService } from '../support/service';

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: unknown[] }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

/** The operation a request hits, by the document's own path templates. */
function templateOf(document: Document, path: string): string {
  const bare = path.split('?')[0];
  const template = Object.keys(document.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare),
  );
  if (!template) throw new Error(`no path of the document matches ${bare}`);
  return template;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

describe('the OpenAPI document', () => {
  const suite = useService('openapi', ['alice'], {
    RATE_LIMIT_PER_KEY: '48',
    AUTH_FAILURES_PER_ADDRESS: '5',
    RATE_LIMIT_WINDOW_SECONDS: '3600',
  });
  let document: Document;
  let ajv: Ajv2020;
  const checked = new Set<string>();

  beforeAll(async () => {
    const served = await fetch(`${suite.service.url}/api/v1/openapi.json`);
    expect(served.status).toBe(200);
    document = (await served.json()) as Document;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(document, 'openapi');
  });

  /** Validates a real answer against the schema the document gives for its method, path and status. */
  function expectDocumented(method: string, path: string, reply: Reply): void {
    const template = templateOf(document, path);
    const operation = document.paths[template][method.toLowerCase()];
    const status = String(reply.status);
    // 405 answers a method the path does not have, so it is described once for the whole API.
    const documented = status === '405' ? undefined : operation?.responses[status];
    if (status !== '405')
      expect([method, template, status, documented !== undefined]).toEqual([method, template, status, true]);
    const schema =
      status === '405'
        ? { $ref: 'openapi#/components/schemas/Error' }
        : {
            $ref: `openapi#/${pointer('paths', template, method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema')}`,
          };
    const valid = ajv.validate(schema, reply.body);
    expect([method, path, status, valid ? 'valid' : ajv.errorsText()]).toEqual([method, path, status, 'valid']);
    checked.add(`${method} ${template} ${status}`);
  }

  const send = async (method: string, path: string, options: Parameters<typeof call>[3] = {}) => {
    const reply = await call(suite.service.url, method, path, options);
    expectDocumented(method, path, reply);
    return reply;
  };

  it('is OpenAPI 3.1 with both ways to authenticate', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/api_keys',
      '/api/v1/api_keys/{id}',
      '/api/v1/api_keys/{id}/events',
      '/api/v1/api_keys/{id}/propagation',
      '/api/v1/api_keys/{id}/roll',
      '/api/v1/api_keys/{id}/usage',
      '/health',
      '/health/live',
      '/health/ready',
    ]);
  });

  it('describes the 202 of a write recorded but not yet visible', async () => {
    const slow = await newUser(suite.service);
    // A second instance of the suite's deployment that never waits for its projector.
    const impatient = await startService(testConfig(suite.iso, { READ_YOUR_WRITES_TIMEOUT_MS: '0' }));
    try {
      const reply = await readReply(
        await fetch(`${impatient.url}${keyPath(slow.keyId)}`, {
          method: 'PUT',
          headers: { 'X-API-Key': slow.key, 'Content-Type': 'application/json' },
          body: JSON.stringify({ api_key: { name: 'Later' } }),
        }),
      );
      expect(reply.status).toBe(202);
      expectDocumented('PUT', keyPath(slow.keyId), reply);
      const created = await call(impatient.url, 'POST', API_KEYS_PATH, {
        key: slow.key,
        body: { api_key: { name: 'Not yet', key_type: 'private' } },
      });
      expect(created.status).toBe(202);
      expectDocumented('POST', API_KEYS_PATH, created);
    } finally {
      await impatient.close();
    }
  });

  it('lets foreign entity-tags simply not match, and refuses only malformed headers, naming their rule', async () => {
    const user = await newUser(suite.service);
    const path = keyPath(user.keyId);
    const headers = (value: string) => ({ key: user.key, headers: { 'If-None-Match': value } });
    const weakly = await call(suite.service.url, 'GET', path, headers('W/"1", W/"\\yiB", "1nX)^b"'));
    expect(weakly.status).toBe(304);
    await send('GET', path, headers('"abc", W/"7"'));
    const malformed = await send('GET', path, headers('3'));
    expect([malformed.status, malformed.body.details]).toEqual([
      400,
      expect.stringMatching(/^Send If-None-Match as "\*" or/),
    ]);
    const idempotency = await send('POST', API_KEYS_PATH, {
      key: user.key,
      body: { api_key: { name: 'Spaced', key_type: 'private' } },
      headers: { 'Idempotency-Key': 'a b' },
    });
    expect([idempotency.status, idempotency.body.details]).toEqual([
      400,
      expect.stringMatching(/^Send Idempotency-Key as 1 to 255 printable ASCII characters/),
    ]);
  });

  it('states the rules of every request header the service reads', () => {
    type Parameter = { name: string; in: string; schema: { pattern?: string } };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        at: `${method} ${path}`,
        headers: new Map(
          ((operation.parameters ?? []) as Parameter[]).filter((p) => p.in === 'header').map((p) => [p.name, p.schema]),
        ),
      })),
    );
    expect(operations.filter(({ headers }) => !headers.has('X-Request-Id')).map(({ at }) => at)).toEqual([]);
    const writes = operations.filter(({ at }) => /^(post|put|delete) /.test(at));
    const idempotencyPatterns = writes.map(({ headers }) => headers.get('Idempotency-Key')?.pattern);
    expect(idempotencyPatterns.map((p) => p !== undefined && !new RegExp(p, 'u').test('a b'))).toEqual(
      writes.map(() => true),
    );
    const conditional = operations.flatMap(({ headers }) =>
      ['If-Match', 'If-None-Match'].flatMap((name) => headers.get(name)?.pattern ?? []),
    );
    // If-None-Match on GET; If-Match on PUT, DELETE and the roll.
    expect(conditional).toHaveLength(4);
    for (const pattern of conditional) {
      expect(['*', '', 'W/"1", W/"\\yiB", "1nX)^b"', ', "3",,'].map((v) => new RegExp(pattern, 'u').test(v))).toEqual([
        true,
        true,
        true,
        true,
      ]);
      expect(new RegExp(pattern, 'u').test('3')).toBe(false);
    }
  });

  it('serves a rendered page at /docs', async () => {
    const page = await fetch(`${suite.service.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  // Last: it spends this address's failed-authentication budget, after which only keys the
  // service holds in memory pass from here (a rebalance, as the 202 test makes one, empties that).
  it('describes every answer of every route, success and error, as the service really gives it', async () => {
    const key = suite.alice.key;
    const created = await send('POST', API_KEYS_PATH, {
      key,
      body: { api_key: { name: 'Documented', key_type: 'private', allowed_origins: ['https://a.example'] } },
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id as number;
    const publicKey = await createKey(suite.service, key, { name: 'Public', key_type: 'public' });
    await send('GET', API_KEYS_PATH, { key });
    await send('GET', `${API_KEYS_PATH}?limit=1`, { key });
    await send('GET', `${API_KEYS_PATH}?limit=0`, { key });
    await send('GET', keyPath(id), { key });
    await send('GET', keyPath(987654321), { key });
    await send('PUT', keyPath(id), { key, body: { api_key: { name: 'Renamed' } } });
    // A dry run answers {key, event}: schema_version 1 without conditions, 2 with an If-Match.
    const dryRun = await send('PUT', `${keyPath(id)}?dry_run=true`, { key, body: { api_key: { name: 'Maybe' } } });
    expect(Object.keys(dryRun.body.data)).toEqual(['key', 'event']);
    await send('PUT', `${keyPath(id)}?dry_run=true`, {
      key,
      body: { api_key: { allowed_assistants: ['a'] } },
      headers: { 'If-Match': '"2"' },
    });
    await send('PUT', keyPath(id), { key, body: { api_key: { key_type: 'public' } } });
    await send('PUT', keyPath(id), { key, rawBody: '{"api_key":', headers: { 'Content-Type': 'application/json' } });
    await send('PUT', keyPath(id), { key, rawBody: 'x', headers: { 'Content-Type': 'text/plain' } });
    await send('PUT', keyPath(id), {
      key,
      rawBody: JSON.stringify({ api_key: { name: 'x'.repeat(70_000) } }),
      headers: { 'Content-Type': 'application/json' },
    });
    await send('GET', API_KEYS_PATH, { key: publicKey.key_value! });
    await send('GET', API_KEYS_PATH, {});
    await send('PATCH', keyPath(id), { key, body: {} });
    await send('PUT', keyPath(id), { key, body: { api_key: { name: 'Stale' } }, headers: { 'If-Match': '"1"' } });
    await send('GET', `${keyPath(id)}/events`, { key });
    await send('GET', `${keyPath(id)}/events?limit=x`, { key });
    await send('GET', `${keyPath(id)}/propagation`, { key });
    await send('GET', `${keyPath(987654321)}/propagation`, { key });
    await send('GET', `${keyPath(id)}/usage`, { key });
    await send('GET', `${keyPath(987654321)}/usage`, { key });
    const notModified = await call(suite.service.url, 'GET', keyPath(id), { key, headers: { 'If-None-Match': '"2"' } });
    expect(notModified.status).toBe(304);
    const template = document.paths['/api/v1/api_keys/{id}'].get;
    expect(Object.keys(template.responses)).toContain('304');
    await send('DELETE', keyPath(id), { key });
    await send('DELETE', keyPath(id), { key });
    // The address's failed-authentication budget (5 here), then its 429.
    for (let i = 0; i < 6; i++) await send('GET', API_KEYS_PATH, { key: `vk_priv_${'A'.repeat(43)}` });
    const statuses = [...checked].map((c) => c.split(' ')[2]);
    for (const status of ['200', '201', '400', '401', '403', '404', '405', '412', '413', '415', '422', '429']) {
      expect([status, statuses.includes(status)]).toEqual([status, true]);
    }
  });
});
