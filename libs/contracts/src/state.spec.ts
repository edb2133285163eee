import { ApiKeyState } from '@app/domain';
import { UnreadableStateError, decodeState, encodeState, stateTombstone } from './state';

const live: ApiKeyState = {
  id: 42,
  key_type: 'public',
  name: 'Widget',
  allowed_origins: ['https://app.example.com'],
  allowed_assistants: ['1', '2'],
  expires_at: null,
  enabled: true,
  meta: {},
  previous_key_hash: null,
  previous_key_expires_at: null,
  key_hash: 'c'.repeat(64),
  transient_assistant: true,
  user_id: 7,
  user_email: 'owner@example.com',
  created_at: '2024-01-10T08:00:00.000Z',
  updated_at: '2024-01-15T11:00:00.000Z',
  deleted_at: null,
  version: 3,
};
const applied = { partition: 2, offset: 1234 };

describe('the state topic’s wire form', () => {
  it('keys the record by the key id and carries the key’s state in the documented order', () => {
    const record = encodeState(live, applied);
    expect(record.key).toBe('42');
    expect(record.value).toBe(
      JSON.stringify({
        schema_version: 2,
        id: 42,
        key_type: 'public',
        name: 'Widget',
        allowed_origins: ['https://app.example.com'],
        allowed_assistants: ['1', '2'],
        expires_at: null,
        enabled: true,
        meta: {},
        transient_assistant: true,
        user_id: 7,
        user_email: 'owner@example.com',
        key_hash: 'c'.repeat(64),
        previous_key_hash: null,
        previous_key_expires_at: null,
        created_at: '2024-01-10T08:00:00.000Z',
        updated_at: '2024-01-15T11:00:00.000Z',
        deleted_at: null,
        version: 3,
        applied: { partition: 2, offset: 1234 },
      }),
    );
  });

  it('carries CloudEvents headers: one id per version of the key, timed by its last change', () => {
    expect(encodeState(live, applied).headers).toEqual({
      ce_specversion: '1.0',
      ce_id: '42:3',
      ce_type: 'ApiKeyState',
      ce_source: '/api-keys-service',
      ce_time: '2024-01-15T11:00:00.000Z',
      ce_subject: '42',
      ce_dataschema: 'https://schemas.api-keys.example/api-key-state.v2.json',
      'content-type': 'application/json',
    });
  });

  it('gives the same record for the same state and position, so a replay republishes identical values', () => {
    const copy = JSON.parse(JSON.stringify(live)) as ApiKeyState;
    expect(encodeState(copy, { ...applied })).toEqual(encodeState(live, applied));
    const base = 'https://contracts.example.com/api-keys/';
    expect(encodeState(copy, { ...applied }, base)).toEqual(encodeState(live, applied, base));
  });

  it('names the schema under the base it is given, and nothing else changes with it', () => {
    const base = 'http://127.0.0.1:3000/schemas/';
    const record = encodeState(live, applied, base);
    expect(record.headers.ce_dataschema).toBe('http://127.0.0.1:3000/schemas/api-key-state.v2.json');
    expect({ ...record.headers, ce_dataschema: '' }).toEqual({
      ...encodeState(live, applied).headers,
      ce_dataschema: '',
    });
    expect(record.value).toBe(encodeState(live, applied).value);
  });

  it('publishes only the contract’s fields, whatever else the state object holds', () => {
    const withExtras = { ...live, _id: '42', applied_offset: 9 } as ApiKeyState;
    expect(encodeState(withExtras, applied).value).toBe(encodeState(live, applied).value);
  });

  it('decodes what it encodes, live and deleted', () => {
    const deleted = { ...live, deleted_at: '2024-01-20T00:00:00.000Z', updated_at: '2024-01-20T00:00:00.000Z' };
    for (const state of [live, deleted]) {
      const record = encodeState(state, applied);
      expect(decodeState(record.value, record.key)).toEqual({ kind: 'state', id: 42, state, applied });
      expect(decodeState(Buffer.from(record.value!), Buffer.from(record.key))).toEqual(
        decodeState(record.value, record.key),
      );
    }
  });

  it('tombstones a key with a record without value, which decodes as "forget key N"', () => {
    const tombstone = stateTombstone(42);
    expect(tombstone).toEqual({
      key: '42',
      value: null,
      headers: {
        ce_specversion: '1.0',
        ce_id: '42:tombstone',
        ce_type: 'ApiKeyState',
        ce_source: '/api-keys-service',
        ce_subject: '42',
      },
    });
    expect(decodeState(tombstone.value, tombstone.key)).toEqual({ kind: 'tombstone', id: 42 });
  });

  it('reads a record written before an optional field existed, and ignores fields it does not know', () => {
    const json = JSON.parse(encodeState(live, applied).value!);
    delete json.allowed_assistants;
    json.region = 'eu';
    const decoded = decodeState(JSON.stringify(json), '42');
    expect(decoded).toEqual({ kind: 'state', id: 42, state: { ...live, allowed_assistants: [] }, applied });
  });

  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...JSON.parse(encodeState(live, applied).value!), ...changes });

  it.each([
    ['bad JSON', '{nope', '42', /not JSON/],
    ['an empty value', '', '42', /empty/],
    ['an unknown schema_version', value({ schema_version: 3 }), '42', /unknown schema_version 3/],
    ['a key that is not its id', value({}), '43', /message key/],
    ['a key that is no id', value({}), 'x', /message key/],
    ['no key', value({}), null, /message key/],
    ['a missing name', value({ name: undefined }), '42', /name is missing/],
    ['a list of the wrong type', value({ allowed_origins: 'https://a.example' }), '42', /allowed_origins/],
    ['a bad hash', value({ key_hash: 'C'.repeat(64) }), '42', /key_hash/],
    ['a bad deleted_at', value({ deleted_at: 'soon' }), '42', /deleted_at/],
    ['a version of 0', value({ version: 0 }), '42', /version/],
    ['no applied position', value({ applied: undefined }), '42', /applied/],
    ['a negative offset', value({ applied: { partition: 0, offset: -1 } }), '42', /applied/],
  ])('refuses %s as unreadable', (_, raw, key, reason) => {
    expect(() => decodeState(raw, key)).toThrow(UnreadableStateError);
    expect(() => decodeState(raw, key)).toThrow(reason);
  });

  it('needs a key id for a tombstone too', () => {
    expect(() => decodeState(null, null)).toThrow(UnreadableStateError);
  });
});
