import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  API_KEY_CREATED,
  API_KEY_DELETED,
  API_KEY_UPDATED,
  ApiKeyEvent,
  ApiKeyState,
  EventMetadata,
  UPDATABLE_FIELDS,
  UpdatableField,
  decideCreate,
  decideDelete,
  decideRoll,
  decideUpdate,
  evolve,
  isRejection,
} from '@app/domain';
import { ContractValidator, REPO_ROOT, SCHEMA_DIR, committedSchemas } from '../../../test/events/contract-schemas';
import { FIELD_PRESENTATION } from './field-presentation';
import {
  DEAD_LETTER_SCHEMA_ID,
  EVENT_TYPES,
  SCHEMA_ID_BASE,
  STATE_SCHEMA_ID,
  contractSchemas,
  eventSchemaId,
} from './schemas';
import { decodeState, encodeState } from './state';
import { decodeEvent, encodeEvent } from './wire';

// `UPDATE_CONTRACT_SCHEMAS=1 npx jest libs/contracts --selectProjects unit` rewrites the committed
// files from the generator (Prettier lays them out, as `npm run lint` expects). Without it, this
// spec fails whenever they differ: the files are what consumers use, the generator is the truth.
if (process.env.UPDATE_CONTRACT_SCHEMAS) {
  for (const file of readdirSync(SCHEMA_DIR)) rmSync(join(SCHEMA_DIR, file));
  for (const { file, schema } of contractSchemas())
    writeFileSync(join(SCHEMA_DIR, file), `${JSON.stringify(schema, null, 2)}\n`);
  const prettier = join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const run = spawnSync(process.execPath, [prettier, '--write', SCHEMA_DIR], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`prettier failed: ${run.stderr}`);
}

let clock = Date.parse('2024-01-10T08:00:00.000Z');
const meta = (): EventMetadata => ({
  event_id: randomUUID(),
  occurred_at: new Date((clock += 60_000)).toISOString(),
  correlation_id: `req-${clock}`,
});

const decided = <E extends ApiKeyEvent>(decision: { event: E } | { rejection: unknown }): E => {
  if (isRejection(decision as never)) throw new Error('the domain refused a sample command');
  return (decision as { event: E }).event;
};

/** A key's life as the domain decides it: creations of every kind, every sort of update, a delete. */
function sampleLife(): { events: ApiKeyEvent[]; states: ApiKeyState[] } {
  const owner = { userId: 3, email: 'owner@example.com' };
  const create = (keyId: number, fields: object, keyType: 'private' | 'public', transientAssistant: boolean) =>
    decided(
      decideCreate(
        {
          keyId,
          owner,
          keyType,
          keyHash: 'ab'.repeat(32),
          transientAssistant,
          fields,
          liveKeys: 0,
          maxKeys: 10,
        },
        meta(),
      ),
    );
  const events: ApiKeyEvent[] = [
    create(7, { name: 'Production' }, 'private', false),
    create(
      8,
      { name: 'Widget', allowed_origins: ['https://app.example.com'], allowed_assistants: ['1'] },
      'public',
      true,
    ),
  ];
  let state = evolve(null, events[0]);
  const states: ApiKeyState[] = [state!];
  const apply = (event: ApiKeyEvent) => {
    events.push(event);
    state = evolve(state, event);
    states.push(state!);
  };
  // Each field alone, with its own example, then all of them at once, then emptied lists.
  for (const field of Object.keys(UPDATABLE_FIELDS) as UpdatableField[])
    apply(
      decided(
        decideUpdate(state, { keyId: 7, userId: 3, changes: { [field]: FIELD_PRESENTATION[field].example } }, meta()),
      ),
    );
  apply(
    decided(
      decideUpdate(
        state,
        {
          keyId: 7,
          userId: 3,
          changes: { name: 'Renamed', allowed_origins: ['http://localhost:3000'], allowed_assistants: ['a', 'b'] },
        },
        meta(),
      ),
    ),
  );
  apply(
    decided(
      decideUpdate(state, { keyId: 7, userId: 3, changes: { allowed_origins: [], allowed_assistants: [] } }, meta()),
    ),
  );
  // A conditional update (schema_version 2): If-Match and an Idempotency-Key.
  const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64), expiresAt: '2024-01-16T11:00:00.000Z' };
  const conditions = { expectedVersion: state!.version, idempotency };
  apply(decided(decideUpdate(state, { keyId: 7, userId: 3, changes: { name: 'Guarded' }, conditions }, meta())));
  // A roll with a grace, made with another key of the owner's, then one without.
  apply(
    decided(
      decideRoll(
        state,
        { keyId: 7, userId: 3, keyHash: 'cd'.repeat(32), expirePreviousInSeconds: 3600, actorKeyId: 8 },
        meta(),
      ),
    ),
  );
  apply(
    decided(decideRoll(state, { keyId: 7, userId: 3, keyHash: 'ef'.repeat(32), expirePreviousInSeconds: 0 }, meta())),
  );
  apply(decided(decideDelete(state, { keyId: 7, userId: 3 }, meta())));
  return { events, states };
}

describe('the committed JSON Schemas', () => {
  const validator = new ContractValidator();
  const { events, states } = sampleLife();

  it('are exactly what the generator makes of the domain, one file per schema and nothing else', () => {
    const committed = committedSchemas();
    const generated = contractSchemas();
    expect([...committed.keys()].sort()).toEqual(generated.map((s) => s.file).sort());
    for (const { file, schema } of generated) {
      // Layout is Prettier's business (npm run lint); content and key order are the generator's.
      expect([file, JSON.stringify(committed.get(file))]).toEqual([file, JSON.stringify(schema)]);
    }
  });

  it('give every event type and the state and dead-letter values a distinct $id: the canonical base + file name', () => {
    const committed = committedSchemas();
    for (const [file, schema] of committed) expect(schema.$id).toBe(`https://schemas.api-keys.example/${file}`);
    expect([...committed.keys()].sort()).toEqual(
      [
        'api-key-created.v1.json',
        'api-key-created.v2.json',
        'api-key-created.v3.json',
        'api-key-deleted.v1.json',
        'api-key-deleted.v2.json',
        'api-key-deleted.v3.json',
        'api-key-rolled.v1.json',
        'api-key-state.v1.json',
        'api-key-state.v2.json',
        'api-key-updated.v1.json',
        'api-key-updated.v2.json',
        'api-key-updated.v3.json',
        'dead-letter.v1.json',
        'api-key-usage.v1.json',
        'api-key-usage.v2.json',
      ].sort(),
    );
    expect(EVENT_TYPES.map((type) => eventSchemaId(type, 1))).toEqual([
      'https://schemas.api-keys.example/api-key-created.v1.json',
      'https://schemas.api-keys.example/api-key-updated.v1.json',
      'https://schemas.api-keys.example/api-key-deleted.v1.json',
      'https://schemas.api-keys.example/api-key-rolled.v1.json',
    ]);
    expect([STATE_SCHEMA_ID, DEAD_LETTER_SCHEMA_ID].every((id) => validator.ids.includes(id))).toBe(true);
  });

  it('are the same documents under another base: only $id differs, and it is that base + file name', () => {
    const base = 'https://contracts.example.com/api-keys/';
    const committed = committedSchemas();
    const rebased = contractSchemas(base);
    expect(rebased.map((s) => s.file)).toEqual(contractSchemas().map((s) => s.file));
    for (const { file, schema } of rebased) {
      expect(schema.$id).toBe(`${base}${file}`);
      expect(JSON.stringify({ ...schema, $id: null })).toBe(JSON.stringify({ ...committed.get(file), $id: null }));
    }
    expect(JSON.stringify(rebased)).not.toContain(SCHEMA_ID_BASE);
  });

  it('are listed in docs/events.md, each (type, schema_version) with its file and $id', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'events.md'), 'utf8');
    const rows = doc
      .split('## Schemas')[1]
      .split('\n## ')[0]
      .split('\n')
      .filter((line) => /^\| `?(Api|dead)/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const listed = rows.map(([, type, version, file, id]) => ({
      type: /`(\w+)`/.exec(type)?.[1] ?? 'dead letter',
      version: Number(version),
      file: /\[`([^`]+)`\]/.exec(file)?.[1],
      id,
    }));
    const expected = [...committedSchemas()].map(([file, schema]: [string, any]) => ({
      type:
        schema.properties?.event_type?.const ??
        (file.startsWith('api-key-state')
          ? 'ApiKeyState'
          : file.startsWith('api-key-usage')
            ? 'ApiKeyUsage'
            : 'dead letter'),
      version: schema.properties?.schema_version?.const ?? 1,
      file,
      id: `\`<SCHEMA_BASE_URL>${file}\``,
    }));
    const order = (a: { file?: string }, b: { file?: string }) => String(a.file).localeCompare(String(b.file));
    expect(listed.sort(order)).toEqual(expected.sort(order));
  });

  it('accept every event the domain decides, by the schema its ce_dataschema header names, naming every field', () => {
    expect(new Set(events.map((e) => e.event_type))).toEqual(new Set(EVENT_TYPES));
    for (const event of events) {
      const record = encodeEvent(event);
      expect(record.headers.ce_dataschema).toBe(eventSchemaId(event.event_type, event.schema_version));
      const value = JSON.parse(record.value);
      expect([event.event_type, validator.problems(record.headers.ce_dataschema, value, { closed: true })]).toEqual([
        event.event_type,
        [],
      ]);
    }
  });

  it('accept every state the fold makes, as the state topic carries it', () => {
    expect(states.some((s) => s.deleted_at !== null)).toBe(true);
    states.forEach((state, offset) => {
      const record = encodeState(state, { partition: 1, offset });
      expect(record.headers.ce_dataschema).toBe(STATE_SCHEMA_ID);
      expect(validator.problems(STATE_SCHEMA_ID, JSON.parse(record.value!), { closed: true })).toEqual([]);
    });
  });

  it('accept any dead letter: it is the unreadable record, whatever that was', () => {
    for (const value of [{ event_type: 'ApiKeyRotated' }, 'not json', ''])
      expect(validator.problems(DEAD_LETTER_SCHEMA_ID, value)).toEqual([]);
  });

  /** The same JSON with one property removed or replaced, at a path of property names. */
  const edited = (value: unknown, path: string[], replacement?: unknown): unknown => {
    const copy = structuredClone(value) as Record<string, unknown>;
    const parent = path.slice(0, -1).reduce((node, name) => node[name] as Record<string, unknown>, copy);
    if (replacement === undefined) delete parent[path[path.length - 1]];
    else parent[path[path.length - 1]] = replacement;
    return copy;
  };
  /** A value of another JSON type than the one at `path`. */
  const wrongType = (value: unknown, path: string[]): unknown => {
    const current = path.reduce((node, name) => (node as Record<string, unknown>)[name], value);
    return typeof current === 'object' ? 42 : { wrong: true };
  };
  /** Every property path of a JSON object, nested objects included. */
  const pathsOf = (value: unknown, prefix: string[] = []): string[][] =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value).flatMap(([name, sub]) => [[...prefix, name], ...pathsOf(sub, [...prefix, name])])
      : [];

  describe('agree with the decoders on what a reader needs', () => {
    const decodes = (decode: () => unknown) => {
      try {
        decode();
        return true;
      } catch {
        return false;
      }
    };

    it.each(EVENT_TYPES.map((type) => [type]))('%s: a missing field or one of the wrong type fails both', (type) => {
      const event = events.find((e) => e.event_type === type)!;
      const { key, value, headers } = encodeEvent(event);
      const json = JSON.parse(value);
      for (const path of pathsOf(json)) {
        for (const variant of [edited(json, path), edited(json, path, wrongType(json, path))]) {
          const schemaAccepts = validator.problems(headers.ce_dataschema, variant).length === 0;
          const decoderAccepts = decodes(() => decodeEvent(JSON.stringify(variant), key));
          expect([path.join('.'), schemaAccepts]).toEqual([path.join('.'), decoderAccepts]);
        }
      }
    });

    it('the state: a missing field or one of the wrong type fails both', () => {
      const { key, value } = encodeState(states[states.length - 1], { partition: 0, offset: 9 });
      const json = JSON.parse(value!);
      for (const path of pathsOf(json)) {
        for (const variant of [edited(json, path), edited(json, path, wrongType(json, path))]) {
          const schemaAccepts = validator.problems(STATE_SCHEMA_ID, variant).length === 0;
          const decoderAccepts = decodes(() => decodeState(JSON.stringify(variant), key));
          expect([path.join('.'), schemaAccepts]).toEqual([path.join('.'), decoderAccepts]);
        }
      }
    });

    it('both still read a creation written before an optional field existed, and an unknown envelope field', () => {
      // The first creation as version 1 wrote it: the first fields only, no actor.
      const current = JSON.parse(encodeEvent(events[0]).value);
      const { actor_key_id: _actor, ...envelope } = current;
      const { expires_at: _expires, enabled: _enabled, meta: _meta, ...firstFields } = current.data;
      const created = { ...envelope, schema_version: 1, data: firstFields };
      const older = edited(created, ['data', 'allowed_assistants']);
      const withEnvelopeField = edited(created, ['region'], 'eu');
      for (const variant of [older, withEnvelopeField]) {
        expect(validator.problems(eventSchemaId(API_KEY_CREATED, 1), variant)).toEqual([]);
        expect(decodeEvent(JSON.stringify(variant), '7')).toMatchObject({ data: { name: 'Production' } });
      }
      expect(decodeEvent(JSON.stringify(older), '7').data).toMatchObject({ allowed_assistants: [] });
    });

    it('both refuse a field its schema_version does not define, in data or in changes', () => {
      const created = JSON.parse(encodeEvent(events[0]).value);
      const update = JSON.parse(encodeEvent(events.find((e) => e.event_type === API_KEY_UPDATED)!).value);
      const deleted = JSON.parse(encodeEvent(events.find((e) => e.event_type === API_KEY_DELETED)!).value);
      const cases: [string, unknown, RegExp][] = [
        [eventSchemaId(API_KEY_CREATED, 1), edited(created, ['data', 'colour'], 'blue'), /data\.colour is not a field/],
        [
          eventSchemaId(API_KEY_UPDATED, 1),
          edited(update, ['data', 'changes'], { colour: 'blue' }),
          /colour is not an updatable field/,
        ],
        [eventSchemaId(API_KEY_UPDATED, 1), edited(update, ['data', 'note'], 'x'), /data\.note is not a field/],
        [eventSchemaId(API_KEY_DELETED, 1), edited(deleted, ['data', 'reason'], 'x'), /data\.reason is not a field/],
      ];
      for (const [schemaId, record, reason] of cases) {
        expect(validator.problems(schemaId, record)).not.toEqual([]);
        expect(() => decodeEvent(JSON.stringify(record), '7')).toThrow(reason);
      }
    });

    it('ignore a version a creation names: it is no field of ApiKeyCreated', () => {
      const created = { ...JSON.parse(encodeEvent(events[0]).value), expected_version: 0 };
      expect(validator.problems(eventSchemaId(API_KEY_CREATED, 3), created)).toEqual([]);
      expect(decodeEvent(JSON.stringify(created), '7')).not.toHaveProperty('expected_version');
    });
  });

  it('refuse what the service never writes: bad content, a foreign type or version, an empty update', () => {
    const created = JSON.parse(encodeEvent(events[1]).value);
    const updated = JSON.parse(encodeEvent(events.find((e) => e.event_type === API_KEY_UPDATED)!).value);
    const createdId = eventSchemaId(API_KEY_CREATED, 1);
    const cases: [string, string, unknown][] = [
      ['an upper-case hash', createdId, edited(created, ['data', 'key_hash'], 'AB'.repeat(32))],
      ['an unknown key type', createdId, edited(created, ['data', 'key_type'], 'service')],
      ['a name too long', createdId, edited(created, ['data', 'name'], 'x'.repeat(256))],
      ['duplicate origins', createdId, edited(created, ['data', 'allowed_origins'], ['https://a.b', 'https://a.b'])],
      ['another event type', createdId, edited(created, ['event_type'], API_KEY_UPDATED)],
      ['another schema_version', createdId, edited(created, ['schema_version'], 2)],
      ['a key id of 0', createdId, edited(created, ['api_key_id'], 0)],
      ['an event id that is no uuid', createdId, edited(created, ['event_id'], 'e1')],
      ['a time without zone', createdId, edited(created, ['occurred_at'], '2024-01-10 08:00')],
      ['an update without changes', eventSchemaId(API_KEY_UPDATED, 1), edited(updated, ['data', 'changes'], {})],
    ];
    for (const [what, id, value] of cases)
      expect([what, validator.problems(id, value).length > 0]).toEqual([what, true]);
  });
});
