import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { createKey, deleteKey, updateKey } from '../support/keys';
import { useService, waitUntil } from '../support/service';
import { produceRaw, readTopic, topicSize } from '../support/topic';
import { ContractValidator, REPO_ROOT } from './contract-schemas';

// What a downstream consumer gets, checked against what we publish for it: every record the service
// writes in a realistic session, validated against the committed JSON Schema its ce_dataschema
// header names (read from the files, not from the generator), and the dead letters against the
// headers the AsyncAPI document promises.

describe('every event the service writes follows its committed JSON Schema', () => {
  const fixture = useService('schemas', ['alice', 'bob']);
  const validator = new ContractValidator();
  /** The schema `$id` of each event type and schema_version, as the committed files declare it. */
  const idOf = new Map(
    [...validator.schemas.values()].map((schema: any) => [
      `${schema.properties?.event_type?.const} v${schema.properties?.schema_version?.const}`,
      schema.$id,
    ]),
  );
  let writes = 0;

  beforeAll(async () => {
    const { service, alice, bob } = fixture;
    const ok = async (reply: Promise<{ status: number }>) => {
      expect((await reply).status).toBe(200);
      writes += 1;
    };
    const create = async (fields: Record<string, unknown>) => {
      writes += 1;
      return createKey(service, alice.key, fields);
    };
    // Creations of every shape, with values at the edges of the rules.
    const minimal = await create({ name: 'Minimal' });
    const full = await create({
      name: 'Widget',
      key_type: 'public',
      allowed_origins: ['https://app.example.com', 'http://localhost:3000'],
      allowed_assistants: ['123', 'asst_9f'],
      transient_assistant: true,
    });
    await create({ name: '🔑'.repeat(255), allowed_assistants: ['é'.repeat(128)] });
    await create({
      name: '  Padded  ',
      allowed_origins: Array.from({ length: 50 }, (_, i) => `https://app${i}.example.com`),
      allowed_assistants: Array.from({ length: 100 }, (_, i) => `assistant-${i}`),
    });
    // Updates of each field alone, of all of them, to empty lists; then deletes.
    await ok(updateKey(service, alice.key, minimal.id, { name: 'Renamed' }));
    await ok(updateKey(service, alice.key, minimal.id, { allowed_origins: ['https://b.example'] }));
    await ok(updateKey(service, alice.key, minimal.id, { allowed_assistants: ['7'] }));
    await ok(
      updateKey(service, alice.key, full.id, {
        name: 'Widget v2',
        allowed_origins: ['https://new.example.com'],
        allowed_assistants: ['1', '2', '3'],
      }),
    );
    await ok(updateKey(service, alice.key, full.id, { allowed_origins: [], allowed_assistants: [] }));
    await ok(deleteKey(service, alice.key, full.id));
    await ok(deleteKey(service, alice.key, minimal.id));
    // Refused writes append nothing (another user's key, a revoked key): the count below says so.
    expect((await updateKey(service, bob.key, minimal.id, { name: 'Not yours' })).status).toBe(404);
    expect((await updateKey(service, alice.key, full.id, { name: 'Too late' })).status).toBe(404);
  });

  it('names in ce_dataschema the committed schema of its type, and validates against it, naming no other field', async () => {
    const records = await readTopic(fixture.iso.topic);
    // Two bootstrap creations, then this suite's writes.
    expect(records).toHaveLength(2 + writes);
    for (const record of records) {
      const type = record.json.event_type;
      const where = `${type} at ${record.partition}:${record.offset}`;
      const schemaId = idOf.get(`${type} v${record.json.schema_version}`);
      expect([where, record.headers.ce_type, record.headers.ce_dataschema]).toEqual([where, type, schemaId]);
      expect([where, validator.problems(record.headers.ce_dataschema, record.json, { closed: true })]).toEqual([
        where,
        [],
      ]);
    }
    expect(new Set(records.map((r) => r.json.event_type))).toEqual(
      new Set(['ApiKeyCreated', 'ApiKeyUpdated', 'ApiKeyDeleted']),
    );
  });

  it('sets aside an unreadable record with the headers the AsyncAPI document promises', async () => {
    const deadLetters = `${fixture.iso.topic}.dlq`;
    const original = {
      key: String(fixture.alice.keyId),
      value: JSON.stringify({ event_type: 'ApiKeyRotated', schema_version: 1, api_key_id: fixture.alice.keyId }),
      headers: { ce_type: 'ApiKeyRotated', 'content-type': 'application/json' },
    };
    await produceRaw(fixture.iso.topic, original);
    await waitUntil(async () => (await topicSize(deadLetters)) > 0, 30000, 'the dead letter');
    const [dead] = await readTopic(deadLetters);

    const asyncapi = parse(readFileSync(join(REPO_ROOT, 'docs', 'asyncapi.yaml'), 'utf8'));
    const headers = asyncapi.components.messages.DeadLetter.headers;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(headers);
    expect([validate(dead.headers), validate.errors ?? []]).toEqual([true, []]);
    expect(dead.headers).toMatchObject({ ...original.headers, dlq_source_topic: fixture.iso.topic });
    expect(dead.key).toBe(original.key);
    expect(dead.value).toBe(original.value);
  });
});
