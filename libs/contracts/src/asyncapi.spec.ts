import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { API_KEY_CREATED, API_KEY_DELETED, API_KEY_UPDATED, ApiKeyEvent } from '@app/domain';
import { ContractValidator, REPO_ROOT } from '../../../test/events/contract-schemas';
import { DEAD_LETTER_SCHEMA_ID, EVENT_TYPES, SCHEMA_ID_BASE, STATE_SCHEMA_ID, eventSchemaId } from './schemas';
import { decodeState, encodeState, stateTombstone } from './state';
import { decodeEvent, encodeEvent } from './wire';

// docs/asyncapi.yaml is written by hand; this keeps it honest: it parses, every reference in it
// resolves, it names every message we publish with the schema the code names, and what the code
// writes (headers, and the document's own examples) is what it describes.

type Node = Record<string, any>;
const DOCUMENT = join(REPO_ROOT, 'docs', 'asyncapi.yaml');

const documents = new Map<string, Node>();
/** A YAML or JSON file, parsed once. */
const load = (file: string): Node => {
  if (!documents.has(file)) documents.set(file, parse(readFileSync(file, 'utf8')) as Node);
  return documents.get(file)!;
};

/** Follows a JSON pointer ("/a/b~1c") in a document; undefined when something on the way is missing. */
const follow = (root: unknown, pointer: string): unknown =>
  pointer
    .split('/')
    .slice(1)
    .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, part) => (node !== null && typeof node === 'object' ? (node as Node)[part] : undefined),
      root,
    );

/** Where a `$ref` written in `file` points: the file and the node. Throws when it does not resolve. */
function target(ref: string, file: string): { file: string; node: unknown } {
  const [path, pointer = ''] = ref.split('#');
  const into = path ? resolve(dirname(file), path) : file;
  if (!existsSync(into)) throw new Error(`${ref} (in ${file}): no file ${into}`);
  const node = pointer ? follow(load(into), pointer) : load(into);
  if (node === undefined) throw new Error(`${ref} (in ${file}): nothing at #${pointer}`);
  return { file: into, node };
}

/** Every `$ref` in a document, and in the documents it refers to, with the file it is written in. */
function allRefs(file: string, seen = new Set<string>()): { ref: string; file: string }[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const refs: { ref: string; file: string }[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') refs.push({ ref: value, file });
        else visit(value);
      }
    }
  };
  visit(load(file));
  const otherFiles = new Set(refs.filter((r) => !r.ref.startsWith('#')).map((r) => target(r.ref, r.file).file));
  return [...refs, ...[...otherFiles].flatMap((other) => allRefs(other, seen))];
}

/** A node with every local `$ref` replaced by what it points at (for ajv, which does not know AsyncAPI). */
const inlined = (node: unknown, file = DOCUMENT): any => {
  if (Array.isArray(node)) return node.map((item) => inlined(item, file));
  if (node === null || typeof node !== 'object') return node;
  if (typeof (node as Node).$ref === 'string' && (node as Node).$ref.startsWith('#'))
    return inlined(target((node as Node).$ref, file).node, file);
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inlined(value, file)]));
};

const doc = load(DOCUMENT);
const message = (name: string): Node => inlined(doc.components.messages[name]);
/** The `$id` of the committed schema file a message's payload refers to. */
/** The $ids of the schemas a message's payload may follow: one, or one per schema_version. */
const payloadSchemaIds = (name: string): string[] => {
  const schema = doc.components.messages[name].payload.schema as { $ref?: string; oneOf?: { $ref: string }[] };
  const refs = schema.oneOf ? schema.oneOf.map((s) => s.$ref) : [schema.$ref as string];
  return refs.map((ref) => (target(ref, DOCUMENT).node as Node).$id as string);
};
const payloadSchemaId = (name: string): string => payloadSchemaIds(name)[0];
/** A ce_dataschema under any base -> the committed file's `$id` (the file name decides). */
const committedId = (dataschema: string) => `${SCHEMA_ID_BASE}${dataschema.slice(dataschema.lastIndexOf('/') + 1)}`;

// AsyncAPI Schema Objects are a superset of JSON Schema draft 07; the headers use nothing else.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const headerProblems = (name: string, headers: Record<string, string>) => {
  const validate = ajv.compile(message(name).headers);
  return validate(headers) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

const sample = (type: ApiKeyEvent['event_type']): ApiKeyEvent => {
  const base = {
    event_id: '0b7a3c1e-1111-4222-8333-444455556666',
    schema_version: 1,
    api_key_id: 42,
    user_id: 7,
    occurred_at: '2024-01-15T11:00:00.000Z',
    correlation_id: 'req-1',
  };
  if (type === API_KEY_UPDATED) return { ...base, event_type: type, data: { changes: { name: 'New' } } };
  if (type === API_KEY_DELETED) return { ...base, event_type: type, data: {} };
  return {
    ...base,
    event_type: API_KEY_CREATED,
    data: {
      key_type: 'private',
      name: 'Key',
      allowed_origins: [],
      allowed_assistants: [],
      key_hash: 'a'.repeat(64),
      transient_assistant: false,
      user_email: 'u@example.com',
    },
  };
};
const stateOf = () =>
  ({
    id: 42,
    key_type: 'private' as const,
    name: 'Key',
    allowed_origins: [],
    allowed_assistants: [],
    key_hash: 'a'.repeat(64),
    transient_assistant: false,
    user_id: 7,
    user_email: 'u@example.com',
    created_at: '2024-01-10T08:00:00.000Z',
    updated_at: '2024-01-15T11:00:00.000Z',
    deleted_at: null,
    version: 2,
  }) as const;

describe('the AsyncAPI document (docs/asyncapi.yaml)', () => {
  const validator = new ContractValidator();

  it('is AsyncAPI 3.0 describing the events, state and dead-letter topics', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.values(doc.channels).map((channel: any) => channel.address)).toEqual([
      'api-keys.events',
      'api-keys.state',
      'api-keys.events.dlq',
    ]);
    expect(doc.channels.state.bindings.kafka.topicConfiguration['cleanup.policy']).toEqual(['compact']);
  });

  it('has only references that resolve, to a file and to a node in it', () => {
    const refs = allRefs(DOCUMENT);
    expect(refs.filter((r) => !r.ref.startsWith('#')).length).toBeGreaterThanOrEqual(5);
    for (const { ref, file } of refs) expect(() => target(ref, file)).not.toThrow();
  });

  it('fails on a reference that does not resolve (the check above can fail)', () => {
    expect(() => target('../libs/contracts/schemas/api-key-renamed.v1.json', DOCUMENT)).toThrow(/no file/);
    expect(() => target('#/components/messages/ApiKeyRenamed', DOCUMENT)).toThrow(/nothing at/);
  });

  it.each(EVENT_TYPES.map((type) => [type]))(
    'describes %s on the events topic, with the schema its ce_dataschema names',
    (type) => {
      expect(doc.channels.events.messages[type]).toEqual({ $ref: `#/components/messages/${type}` });
      expect(doc.operations.appendEvent.messages).toContainEqual({ $ref: `#/channels/events/messages/${type}` });
      expect(message(type).name).toBe(type);
      expect(payloadSchemaIds(type)).toEqual([eventSchemaId(type, 1), eventSchemaId(type, 2)]);
      expect(headerProblems(type, encodeEvent(sample(type)).headers)).toEqual([]);
      expect(headerProblems(type, encodeEvent(sample(type), 'http://127.0.0.1:3000/schemas/').headers)).toEqual([]);
      const other = EVENT_TYPES.find((t) => t !== type)!;
      expect(headerProblems(type, encodeEvent(sample(other)).headers)).not.toEqual([]);
    },
  );

  it('describes the state message and its tombstone on the state topic', () => {
    expect(Object.keys(doc.channels.state.messages)).toEqual(['ApiKeyState', 'ApiKeyStateTombstone']);
    expect(payloadSchemaId('ApiKeyState')).toBe(STATE_SCHEMA_ID);
    expect(headerProblems('ApiKeyState', encodeState(stateOf(), { partition: 0, offset: 3 }).headers)).toEqual([]);
    expect(headerProblems('ApiKeyStateTombstone', stateTombstone(42).headers)).toEqual([]);
    expect(message('ApiKeyStateTombstone').payload).toEqual({ type: 'null' });
  });

  it('describes the dead letters with the headers that say why and where from', () => {
    expect(Object.keys(doc.channels.deadLetters.messages)).toEqual(['DeadLetter']);
    expect(payloadSchemaId('DeadLetter')).toBe(DEAD_LETTER_SCHEMA_ID);
    expect(message('DeadLetter').headers.required).toEqual([
      'dlq_reason',
      'dlq_source_topic',
      'dlq_source_partition',
      'dlq_source_offset',
    ]);
    expect(headerProblems('DeadLetter', { ...encodeEvent(sample(API_KEY_CREATED)).headers })).not.toEqual([]);
  });

  it('gives examples that are what the code writes and reads', () => {
    for (const name of Object.keys(doc.components.messages)) {
      const { examples, payload } = message(name);
      expect([name, examples?.length > 0]).toEqual([name, true]);
      for (const example of examples) {
        expect([name, example.name, headerProblems(name, example.headers)]).toEqual([name, example.name, []]);
        const problems = payload.schema
          ? validator.problems(
              EVENT_TYPES.includes(name as ApiKeyEvent['event_type'])
                ? committedId(example.headers.ce_dataschema as string)
                : payloadSchemaId(name),
              example.payload,
              { closed: name !== 'DeadLetter' },
            )
          : ajv.validate(payload, example.payload)
            ? []
            : ['payload'];
        expect([name, example.name, problems]).toEqual([name, example.name, []]);
        const value = example.payload === null ? null : JSON.stringify(example.payload);
        if (EVENT_TYPES.includes(name as ApiKeyEvent['event_type']))
          expect(decodeEvent(value, example.headers.ce_subject).event_type).toBe(name);
        if (name.startsWith('ApiKeyState'))
          expect(decodeState(value, example.headers.ce_subject).kind).toBe(value ? 'state' : 'tombstone');
      }
    }
  });
});
