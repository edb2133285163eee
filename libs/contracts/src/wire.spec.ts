import { API_KEY_DELETED, API_KEY_UPDATED, ApiKeyUpdated } from '@app/domain';
import { eventSchemaId } from './schemas';
import { UnreadableEventError, decodeEvent, encodeEvent } from './wire';

const event: ApiKeyUpdated = {
  event_id: '0b7a3c1e-1111-4222-8333-444455556666',
  event_type: API_KEY_UPDATED,
  schema_version: 1,
  api_key_id: 42,
  user_id: 7,
  occurred_at: '2024-01-15T11:00:00.000Z',
  correlation_id: 'req-1',
  data: { changes: { name: 'New', allowed_origins: ['https://a.example'] } },
};

describe('event wire format', () => {
  it('keys the record by the key id and carries CloudEvents binary-mode headers', () => {
    const record = encodeEvent(event);
    expect(record.key).toBe('42');
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: event.event_id,
      ce_type: 'ApiKeyUpdated',
      ce_source: '/api-keys-service',
      ce_time: event.occurred_at,
      ce_subject: '42',
      ce_dataschema: 'https://schemas.api-keys.example/api-key-updated.v1.json',
      'content-type': 'application/json',
    });
  });

  it('names in ce_dataschema the schema of the event’s own type and schema_version', () => {
    const deleted = { ...event, event_type: API_KEY_DELETED, data: {} } as const;
    expect(encodeEvent(deleted).headers.ce_dataschema).toBe(eventSchemaId(API_KEY_DELETED, 1));
    expect(encodeEvent(deleted).headers.ce_dataschema).not.toBe(encodeEvent(event).headers.ce_dataschema);
  });

  it('names the schema under the base it is given: the service passes its SCHEMA_BASE_URL', () => {
    const base = 'http://127.0.0.1:3000/schemas/';
    expect(encodeEvent(event, base).headers.ce_dataschema).toBe(
      'http://127.0.0.1:3000/schemas/api-key-updated.v1.json',
    );
    expect(encodeEvent({ ...event, schema_version: 2, expected_version: 1 }, base).headers.ce_dataschema).toBe(
      'http://127.0.0.1:3000/schemas/api-key-updated.v2.json',
    );
    expect(encodeEvent(event, base).value).toBe(encodeEvent(event).value);
  });

  it('decodes a record written before ce_dataschema existed: decoding needs only the key and the value', () => {
    const { ce_dataschema: _, ...olderHeaders } = encodeEvent(event).headers;
    const older = { key: '42', value: JSON.stringify(event), headers: olderHeaders };
    expect(decodeEvent(older.value, older.key)).toEqual(event);
  });

  it('decodes what it encodes', () => {
    const record = encodeEvent(event);
    expect(decodeEvent(record.value, record.key)).toEqual(event);
  });

  it.each([
    ['bad JSON', '{nope', /not JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['an unknown event_type', JSON.stringify({ ...event, event_type: 'ApiKeyRenamed' }), /unknown event_type/],
    ['an unknown schema_version', JSON.stringify({ ...event, schema_version: 4 }), /unknown schema_version/],
    [
      'a version-2 event with a malformed condition',
      JSON.stringify({ ...event, schema_version: 2, expected_version: 'one' }),
      /expected_version/,
    ],
    [
      'a version-2 event with half an idempotency claim',
      JSON.stringify({ ...event, schema_version: 2, idempotency_key: 'k' }),
      /go together/,
    ],
    ['a missing api_key_id', JSON.stringify({ ...event, api_key_id: undefined }), /api_key_id/],
    ['a bad time', JSON.stringify({ ...event, occurred_at: 'yesterday' }), /occurred_at/],
    [
      'an unknown change',
      JSON.stringify({ ...event, data: { changes: { key_type: 'public' } } }),
      /data.changes.key_type/,
    ],
    ['no changes', JSON.stringify({ ...event, data: { changes: {} } }), /empty/],
    [
      'a created event without a hash',
      JSON.stringify({ ...event, event_type: 'ApiKeyCreated', data: { name: 'x' } }),
      /key_type|key_hash/,
    ],
  ])('rejects %s as unreadable', (_, value, reason) => {
    expect(() => decodeEvent(value, '42')).toThrow(UnreadableEventError);
    expect(() => decodeEvent(value, '42')).toThrow(reason);
  });

  it('decodes the conditions of a version-2 event', () => {
    const conditional = {
      ...event,
      schema_version: 2,
      expected_version: 4,
      idempotency_key: 'retry-1',
      request_fingerprint: 'f'.repeat(64),
      idempotency_expires_at: '2024-01-16T11:00:00.000Z',
    };
    expect(decodeEvent(JSON.stringify(conditional), '42')).toEqual(conditional);
  });

  it('rejects a record whose message key is not its key id', () => {
    expect(() => decodeEvent(encodeEvent(event).value, '43')).toThrow(/message key/);
  });
});
