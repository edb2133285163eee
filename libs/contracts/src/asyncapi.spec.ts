import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { API_KEY_CREATED, API_KEY_DELETED, API_KEY_ROLLED, API_KEY_UPDATED, ApiKeyEvent } from '@app/domain';
import { SHORT_LIVED_TOPIC_CONFIG, partitionFor } from '@app/kafka';
import { AppConfig, loadConfig } from '../../../apps/api-keys/src/config/config';
import { USAGE_RETENTION_MS, topicSpecs } from '../../../apps/api-keys/src/event-log/event-log';
import { ContractValidator, REPO_ROOT } from '../../../test/events/contract-schemas';
import { createdData, keyState } from '../../../test/support/key-fixtures';
import {
  DEAD_LETTER_SCHEMA_ID,
  EVENT_TYPES,
  SCHEMA_ID_BASE,
  STATE_SCHEMA_ID,
  USAGE_SCHEMA_ID,
  eventSchemaId,
  stateSchemaFile,
} from './schemas';
import { KeyUsage, UsageBatch, decodeUsage, encodeUsage } from './usage';

/** A decoded usage record's keys, put back together as the batch they came in. */
const batchOf = (usages: readonly KeyUsage[]): UsageBatch => ({
  ...usages[0],
  keys: usages.map(({ api_key_id, last_used_at, previous_last_used_at, verifications }) => ({
    api_key_id,
    last_used_at,
    previous_last_used_at,
    verifications,
  })),
});
import { EVENT_VERSIONS, STATE_VERSIONS } from './versions';
import { VERIFIER_HEARTBEAT, decodeHeartbeat, encodeHeartbeat } from './heartbeat';
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
/** The base a ce_dataschema was written under. */
const baseOf = (dataschema: string) => dataschema.slice(0, dataschema.lastIndexOf('/') + 1);

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
  if (type === API_KEY_ROLLED) {
    return {
      ...base,
      event_type: API_KEY_ROLLED,
      actor_key_id: 42,
      data: { key_hash: 'b'.repeat(64), previous_key_hash: 'a'.repeat(64), previous_key_expires_at: null },
    };
  }
  return {
    ...base,
    event_type: API_KEY_CREATED,
    data: createdData({ name: 'Key' }),
  };
};
const stateOf = () => keyState({ name: 'Key' });

describe('the AsyncAPI document (docs/asyncapi.yaml)', () => {
  const validator = new ContractValidator();

  it('is AsyncAPI 3.0 describing the events, state, dead-letter, verifiers and usage topics', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.values(doc.channels).map((channel: any) => channel.address)).toEqual([
      'api-keys.events',
      'api-keys.state',
      'api-keys.events.dlq',
      'api-keys.verifiers',
      'api-keys.usage',
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
      expect(payloadSchemaIds(type)).toEqual(EVENT_VERSIONS[type].map((version) => eventSchemaId(type, version)));
      expect(headerProblems(type, encodeEvent(sample(type)).headers)).toEqual([]);
      expect(headerProblems(type, encodeEvent(sample(type), 'http://127.0.0.1:3000/schemas/').headers)).toEqual([]);
      const other = EVENT_TYPES.find((t) => t !== type)!;
      expect(headerProblems(type, encodeEvent(sample(other)).headers)).not.toEqual([]);
    },
  );

  it('describes the state message and its tombstone on the state topic', () => {
    expect(Object.keys(doc.channels.state.messages)).toEqual(['ApiKeyState', 'ApiKeyStateTombstone']);
    expect(payloadSchemaIds('ApiKeyState')).toEqual(
      [...STATE_VERSIONS].reverse().map((version) => `${SCHEMA_ID_BASE}${stateSchemaFile(version)}`),
    );
    expect(payloadSchemaId('ApiKeyState')).toBe(STATE_SCHEMA_ID);
    expect(headerProblems('ApiKeyState', encodeState(stateOf(), { partition: 0, offset: 3 }).headers)).toEqual([]);
    expect(headerProblems('ApiKeyStateTombstone', stateTombstone(42).headers)).toEqual([]);
    expect(message('ApiKeyStateTombstone').payload).toEqual({ type: 'null' });
  });

  it('describes the usage message with the schema and headers the code writes', () => {
    expect(Object.keys(doc.channels.usage.messages)).toEqual(['ApiKeyUsage']);
    expect(payloadSchemaId('ApiKeyUsage')).toBe(USAGE_SCHEMA_ID);
    const usage: UsageBatch = {
      source: 'api',
      instance: 'i-1',
      sequence: 1,
      window_start: '2024-01-15T11:00:00.000Z',
      window_end: '2024-01-15T11:00:10.000Z',
      keys: [
        {
          api_key_id: 42,
          last_used_at: '2024-01-15T11:00:01.000Z',
          previous_last_used_at: null,
          verifications: { EXPIRED: { current: 1, previous: 0 } },
        },
      ],
    };
    expect(headerProblems('ApiKeyUsage', encodeUsage(usage).headers)).toEqual([]);
    expect(headerProblems('ApiKeyUsage', encodeUsage(usage, 'http://127.0.0.1:3000/schemas/').headers)).toEqual([]);
    expect(headerProblems('ApiKeyUsage', encodeState(stateOf(), { partition: 0, offset: 3 }).headers)).not.toEqual([]);
    expect(doc.channels.usage.bindings.kafka.topicConfiguration['retention.ms']).toBe(USAGE_RETENTION_MS);
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
        if (name === VERIFIER_HEARTBEAT) expect(encodeHeartbeat(decodeHeartbeat(value)).value).toBe(value);
        if (name.startsWith('ApiKeyState'))
          expect(decodeState(value, example.headers.ce_subject).kind).toBe(value ? 'state' : 'tombstone');
        if (name === 'ApiKeyUsage') expect(decodeUsage(value, example.headers.ce_subject)[0].api_key_id).toBe(42);
      }
    }
  });

  it('gives examples whose headers are exactly what the code writes for their payload (ce_id forms included)', () => {
    const written = (name: string, example: Node): Record<string, string> | null => {
      const value = example.payload === null ? null : JSON.stringify(example.payload);
      const base = example.headers.ce_dataschema ? baseOf(example.headers.ce_dataschema as string) : undefined;
      if (EVENT_TYPES.includes(name as ApiKeyEvent['event_type']))
        return encodeEvent(decodeEvent(value, example.headers.ce_subject), base).headers;
      if (name === 'DeadLetter') return null;
      if (name === VERIFIER_HEARTBEAT) return encodeHeartbeat(decodeHeartbeat(value)).headers;
      if (name === 'ApiKeyUsage')
        return encodeUsage(batchOf(decodeUsage(value, example.headers.ce_subject)), base).headers;
      const decoded = decodeState(value, example.headers.ce_subject);
      return decoded.kind === 'tombstone'
        ? stateTombstone(decoded.id).headers
        : encodeState(decoded.state, decoded.applied, base).headers;
    };
    for (const name of Object.keys(doc.components.messages))
      for (const example of message(name).examples) {
        const headers = written(name, example);
        if (headers) expect([name, example.name, headers]).toEqual([name, example.name, example.headers]);
      }
    // The tombstone's ce_id, as the document spells it.
    expect(message('ApiKeyStateTombstone').headers.allOf[1].properties.ce_id.description).toContain('"<id>:tombstone"');
    expect(stateTombstone(7).headers.ce_id).toBe('7:tombstone');
  });

  describe('names how each topic is configured, partitioned and keyed, as the code does it', () => {
    /** Which of the service's topics each channel is. */
    const TOPIC_OF: Record<string, (kafka: AppConfig['kafka']) => string | null> = {
      events: (kafka) => kafka.eventsTopic,
      state: (kafka) => kafka.stateTopic,
      deadLetters: (kafka) => kafka.deadLetterTopic,
      verifiers: (kafka) => kafka.verifiersTopic,
      usage: (kafka) => kafka.usageTopic,
    };
    const channels = Object.entries(doc.channels as Record<string, Node>);

    it('has the four topics, each with its x-configuration', () => {
      expect(channels.map(([name]) => name)).toEqual(Object.keys(TOPIC_OF));
    });

    it.each(Object.keys(TOPIC_OF).map((name) => [name]))(
      '%s: the variable it names sets that topic, and its address is the default',
      (name) => {
        const channel = doc.channels[name];
        const variable = channel['x-configuration'].topic as string;
        const topic = TOPIC_OF[name];
        expect(topic(loadConfig({}).kafka)).toBe(channel.address);
        expect(topic(loadConfig({ [variable]: 'probe.topic' }).kafka)).toBe('probe.topic');
        // No other channel's topic moves with it.
        for (const [other, topicOf] of Object.entries(TOPIC_OF))
          if (other !== name) expect(topicOf(loadConfig({ [variable]: 'probe.topic' }).kafka)).not.toBe('probe.topic');
        // The derived defaults follow the events topic's variable as the document writes them.
        const events = 'orders.events';
        const derived = (channel['x-configuration'].default as string)
          .replace('<KAFKA_EVENTS_TOPIC without a trailing .events>', 'orders')
          .replace('<KAFKA_EVENTS_TOPIC>', events);
        expect(topic(loadConfig({ KAFKA_EVENTS_TOPIC: events }).kafka)).toBe(name === 'events' ? events : derived);
      },
    );

    it('creates every topic with the partition count of the variable it names, and says the default', () => {
      const probe = loadConfig({ KAFKA_TOPIC_PARTITIONS: '7' }).kafka;
      const specs = topicSpecs(probe);
      for (const [name, channel] of channels) {
        const spec = specs.find((s) => s.topic === TOPIC_OF[name](probe));
        expect([name, channel['x-configuration'].partitions]).toEqual([name, 'KAFKA_TOPIC_PARTITIONS']);
        expect([name, spec?.partitions]).toEqual([name, 7]);
        expect([name, channel.bindings.kafka.partitions]).toEqual([name, loadConfig({}).kafka.topicPartitions]);
        const compacted = channel.bindings.kafka.topicConfiguration['cleanup.policy'].includes('compact');
        expect([name, spec?.compacted === true]).toEqual([name, compacted]);
        if (!compacted)
          expect([name, channel.bindings.kafka.topicConfiguration['retention.ms']]).toEqual([
            name,
            spec?.shortLived ? Number(SHORT_LIVED_TOPIC_CONFIG['retention.ms']) : (spec?.retentionMs ?? -1),
          ]);
      }
    });

    it('describes the partitioner with examples the code reproduces', () => {
      for (const [name, channel] of channels) {
        const partitioner = channel['x-partitioner'];
        expect([name, partitioner.rule]).toEqual([name, '(murmur2(utf8(key)) & 0x7fffffff) % partitions']);
        expect(partitioner.examples.length).toBeGreaterThanOrEqual(3);
        for (const { key, murmur2, partitions, partition } of partitioner.examples) {
          const positive = (murmur2 as number) & 0x7fffffff;
          expect([key, partitionFor('any', key, partitions)]).toEqual([key, partition]);
          expect([key, positive % partitions]).toEqual([key, partition]);
          // The low 16 bits of the hash as well, so a wrong murmur2 value cannot pass by luck.
          expect([key, partitionFor('any', key, 65536)]).toEqual([key, positive % 65536]);
        }
      }
    });

    it('is what docs/events.md says in its topics table', () => {
      const events = readFileSync(join(REPO_ROOT, 'docs', 'events.md'), 'utf8');
      const table = events.split('## Topics')[1].split('\n\n')[1];
      const rows = table.split('\n').filter((line) => line.startsWith('| `'));
      for (const [name, channel] of channels) {
        const row = rows.find((line) => line.startsWith(`| \`${channel.address}\``)) ?? '';
        const config = channel['x-configuration'];
        expect([name, row.includes(`\`${config.topic}\``), row.includes(`\`${config.partitions}\``)]).toEqual([
          name,
          true,
          true,
        ]);
      }
    });
  });
});
