import { ContractValidator } from '../../../test/events/contract-schemas';
import { MAX_KEYS_PER_USAGE_RECORD, SCHEMA_ID_BASE, USAGE_SCHEMA_ID, usageSchemaFile } from './schemas';
import { KeyUsage, UnreadableUsageError, UsageBatch, decodeUsage, encodeUsage } from './usage';

const batch: UsageBatch = {
  source: 'verifier',
  instance: '0b7a3c1e-1111-4222-8333-444455556666',
  sequence: 3,
  window_start: '2024-01-15T11:00:00.000Z',
  window_end: '2024-01-15T11:00:10.000Z',
  keys: [
    {
      api_key_id: 42,
      last_used_at: '2024-01-15T11:00:09.412Z',
      previous_last_used_at: '2024-01-15T11:00:02.005Z',
      verifications: { VALID: { current: 7, previous: 2 }, ORIGIN_NOT_ALLOWED: { current: 1, previous: 0 } },
    },
    {
      api_key_id: 46,
      last_used_at: '2024-01-15T11:00:04.000Z',
      previous_last_used_at: null,
      verifications: { EXPIRED: { current: 1, previous: 0 } },
    },
  ],
};
const { keys, ...window } = batch;
const decoded: KeyUsage[] = keys.map((uses) => ({ ...uses, ...window }));

describe('the usage record', () => {
  const validator = new ContractValidator();

  it('is keyed by its first key id, a CloudEvent whose ce_id is instance, sequence and that key', () => {
    const record = encodeUsage(batch, 'http://127.0.0.1:3000/schemas/');
    expect(record.key).toBe('42');
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: '0b7a3c1e-1111-4222-8333-444455556666:3:42',
      ce_type: 'ApiKeyUsage',
      ce_source: '/api-keys-service',
      ce_time: batch.window_end,
      ce_subject: '42',
      ce_dataschema: 'http://127.0.0.1:3000/schemas/api-key-usage.v2.json',
      'content-type': 'application/json',
    });
  });

  it('follows its committed schema (version 2), closed, and decodes to each key with the window', () => {
    const record = encodeUsage(batch);
    expect(record.headers.ce_dataschema).toBe(USAGE_SCHEMA_ID);
    expect(USAGE_SCHEMA_ID).toBe(`${SCHEMA_ID_BASE}${usageSchemaFile(2)}`);
    expect(validator.problems(USAGE_SCHEMA_ID, JSON.parse(record.value), { closed: true })).toEqual([]);
    expect(decodeUsage(record.value, record.key)).toEqual(decoded);
    expect(decodeUsage(Buffer.from(record.value), Buffer.from('42'))).toEqual(decoded);
  });

  it('still reads a version 1 record, one key a record, as its schema describes it', () => {
    const v1 = { schema_version: 1, ...window, ...keys[0] };
    expect(validator.problems(`${SCHEMA_ID_BASE}${usageSchemaFile(1)}`, v1, { closed: true })).toEqual([]);
    expect(decodeUsage(JSON.stringify(v1), '42')).toEqual([decoded[0]]);
    expect(() => decodeUsage(JSON.stringify(v1), '46')).toThrow(/message key/);
  });

  it('names 1 to MAX_KEYS_PER_USAGE_RECORD keys', () => {
    expect(() => encodeUsage({ ...batch, keys: [] })).toThrow(/1 to 500 keys/);
    const many = Array.from({ length: MAX_KEYS_PER_USAGE_RECORD + 1 }, (_, i) => ({ ...keys[1], api_key_id: i + 1 }));
    expect(() => encodeUsage({ ...batch, keys: many })).toThrow(/1 to 500 keys/);
    expect(decodeUsage(encodeUsage({ ...batch, keys: many.slice(1) }).value, '2')).toHaveLength(500);
  });

  it('is refused by the schema and the decoder alike when a field is missing or wrong', () => {
    const json = JSON.parse(encodeUsage(batch).value);
    const entry = json.keys[0];
    const withEntry = (changed: object) => ({ ...json, keys: [{ ...entry, ...changed }, json.keys[1]] });
    const variants: [string, unknown][] = [
      ['no sequence', { ...json, sequence: undefined }],
      ['a zero sequence', { ...json, sequence: 0 }],
      ['another version', { ...json, schema_version: 3 }],
      ['an unknown source', { ...json, source: 'gateway' }],
      ['no keys', { ...json, keys: [] }],
      ['keys that are no list', { ...json, keys: entry }],
      ['NOT_FOUND counted', withEntry({ verifications: { NOT_FOUND: { current: 1, previous: 0 } } })],
      ['no codes', withEntry({ verifications: {} })],
      ['a negative count', withEntry({ verifications: { VALID: { current: -1, previous: 0 } } })],
      ['a count per secret missing', withEntry({ verifications: { VALID: { current: 1 } } })],
      ['no last use', withEntry({ last_used_at: undefined })],
      ['a previous use that is no time', withEntry({ previous_last_used_at: 'yesterday' })],
      ['a key id that is no id', withEntry({ api_key_id: '42' })],
    ];
    for (const [what, value] of variants) {
      const text = JSON.stringify(value);
      expect([what, validator.problems(USAGE_SCHEMA_ID, JSON.parse(text)).length > 0]).toEqual([what, true]);
      expect(() => decodeUsage(text, '42')).toThrow(UnreadableUsageError);
    }
  });

  it('is refused when its message key is not its first key id, or it is no JSON object', () => {
    const { value } = encodeUsage(batch);
    expect(() => decodeUsage(value, '46')).toThrow(/message key/);
    expect(() => decodeUsage(value, null)).toThrow(/message key/);
    expect(() => decodeUsage('[]', '42')).toThrow(/not a JSON object/);
    expect(() => decodeUsage(null, '42')).toThrow(/empty/);
  });
});
