import { createServer } from 'node:net';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createKey, updateKey } from '../support/keys';
import { call, expectErrorEnvelope } from '../support/http';
import { waitForProjection } from '../support/projection';
import { RunningService, isHealthy, isolation, newUser, testConfig, useService, waitUntil } from '../support/service';
import { createHttpApp } from '../../apps/api-keys/src/http-app';
import { jsonLogger } from '../../apps/api-keys/src/logging';
import { readTopic } from '../support/topic';
import { JsonObject, committedSchemas } from './contract-schemas';

// What a consumer that knows nothing but a record gets: its ce_dataschema header is a URL, the
// service answers it (no key needed) with the schema, whose $id is that URL, and the schema
// validates the record's value. The served documents are the committed files under another base.

const COMMITTED = committedSchemas();
const FILES = [...COMMITTED.keys()];

/** The committed file as a service with `base` must serve it: the same document, `$id` = base + name. */
const rebased = (file: string, base: string): JsonObject => ({ ...COMMITTED.get(file), $id: `${base}${file}` });

/** A port nothing listens on right now, so that the service's default SCHEMA_BASE_URL can name it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A JSON Schema draft 2020-12 validator as a consumer would set it up: formats asserted (docs/events.md). */
function validatorOf(schema: JsonObject) {
  const ajv = new Ajv2020({ allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('the schemas at the URL each record names', () => {
  const iso = isolation('served-schemas');
  let service: RunningService;
  let base: string;

  beforeAll(async () => {
    // The real PORT, and no SCHEMA_BASE_URL: the default base must be where this service answers.
    const port = await freePort();
    const config = testConfig(iso, { PORT: String(port) });
    const app = await createHttpApp(config, jsonLogger(config.logLevel));
    await app.listen(port, '127.0.0.1');
    service = { app, url: `http://127.0.0.1:${port}`, config, close: () => app.close() };
    await waitUntil(() => isHealthy(service), 30000, 'service healthy');
    base = `http://127.0.0.1:${port}/schemas/`;
  });
  afterAll(() => service?.close());

  it('serves every committed schema file without a key, with $id = the configured base + its name', async () => {
    expect(service.config.schemaBaseUrl).toBe(base);
    expect(FILES.length).toBeGreaterThanOrEqual(8);
    for (const file of FILES) {
      const reply = await call(service.url, 'GET', `/schemas/${file}`);
      expect([file, reply.status]).toEqual([file, 200]);
      expect(reply.headers.get('content-type')).toMatch(/^application\/schema\+json(;|$)/);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect([file, reply.body.$id]).toEqual([file, `${base}${file}`]);
      expect([file, reply.body]).toEqual([file, rebased(file, base)]);
    }
  });

  it("answers each event's and state's ce_dataschema (GET) with the schema that validates its value", async () => {
    const user = await newUser(service);
    const key = await createKey(service, user.key, { name: 'Schema check', allowed_origins: ['https://a.example'] });
    expect((await updateKey(service, user.key, key.id, { name: 'Renamed' }, { 'If-Match': '"1"' })).status).toBe(200);
    await waitForProjection(iso.database, iso.topic);
    const records = [...(await readTopic(iso.topic)), ...(await readTopic(`${iso.topic}.state`))].filter(
      (record) => record.value !== null,
    );
    const names = new Set<string>();
    for (const record of records) {
      const url = record.headers.ce_dataschema;
      const where = `${record.headers.ce_type} ${record.headers.ce_id}`;
      expect([where, url.startsWith(base)]).toEqual([where, true]);
      const response = await fetch(url); // the header as it is, no key
      expect([where, response.status]).toEqual([where, 200]);
      const schema = (await response.json()) as JsonObject;
      expect([where, schema.$id]).toEqual([where, url]);
      const validate = validatorOf(schema);
      expect([where, validate(record.json), validate.errors ?? []]).toEqual([where, true, []]);
      names.add(url.slice(base.length));
    }
    // Events of the versions the service writes, and the state, were among them.
    expect([...names].sort()).toEqual(
      expect.arrayContaining(['api-key-created.v3.json', 'api-key-state.v2.json', 'api-key-updated.v3.json']),
    );
  });

  it('answers 404 in the error envelope for any other name, and reaches no other file', async () => {
    for (const path of [
      '/schemas/api-key-created.v9.json',
      '/schemas/API-KEY-CREATED.V1.JSON',
      '/schemas/api-key-created.v1',
      '/schemas/..%2F..%2Fpackage.json',
      '/schemas/%2e%2e%2fschemas.spec.ts',
      '/schemas/..%5Cpackage.json',
      '/schemas/.',
    ]) {
      const reply = await call(service.url, 'GET', path);
      expectErrorEnvelope(reply, 404);
      expect([path, reply.body.error]).toEqual([path, expect.stringMatching(/^(Schema|Route) not found$/)]);
    }
    // The API's own prefix does not serve them.
    expectErrorEnvelope(await call(service.url, 'GET', `/api/v1/schemas/${FILES[0]}`), 404);
  });
});

describe('the schemas under a SCHEMA_BASE_URL of the deployment', () => {
  const deployed = 'https://contracts.example.com/api-keys/';
  const fixture = useService('schema-base', ['alice'], { SCHEMA_BASE_URL: deployed });

  it('serves $id = that base + name and writes the same URL in ce_dataschema', async () => {
    for (const file of FILES) {
      const reply = await call(fixture.service.url, 'GET', `/schemas/${file}`);
      expect([file, reply.status, reply.body]).toEqual([file, 200, rebased(file, deployed)]);
    }
    const [record] = (await readTopic(fixture.iso.topic)).filter((r) => r.json?.api_key_id === fixture.alice.keyId);
    expect(record.headers.ce_dataschema).toBe(`${deployed}api-key-created.v3.json`);
  });
});
