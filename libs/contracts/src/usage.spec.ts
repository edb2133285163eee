import { ContractValidator } from '../../../test/events/contract-schemas';
import { USAGE_SCHEMA_ID } from './schemas';
import { KeyUsage, UnreadableUsageError, decodeUsage, encodeUsage } from './usage';

const usage: KeyUsage = {
  api_key_id: 42,
  source: 'verifier',
  instance: '0b7a3c1e-1111-4222-8333-444455556666',
  sequence: 3,
  window_start: '2024-01-15T11:00:00.000Z',
  window_end: '2024-01-15T11:00:10.000Z',
  last_used_at: '2024-01-15T11:00:09.412Z',
  previous_last_used_at: '2024-01-15T11:00:02.005Z',
  verifications: { VALID: { current: 7, previous: 2 }, ORIGIN_NOT_ALLOWED: { current: 1, previous: 0 } },
};

describe('the usage record', () => {
  const validator = new ContractValidator();

  it('is keyed by the key id, a CloudEvent whose ce_id is instance, sequence and key', () => {
    const record = encodeUsage(usage, 'http://127.0.0.1:3000/schemas/');
    expect(record.key).toBe('42');
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: '0b7a3c1e-1111-4222-8333-444455556666:3:42',
      ce_type: 'ApiKeyUsage',
      ce_source: '/api-keys-service',
      ce_time: usage.window_end,
      ce_subject: '42',
      ce_dataschema: 'http://127.0.0.1:3000/schemas/api-key-usage.v1.json',
      'content-type': 'application/json',
    });
  });

  it('follows its committed schema, closed, and decodes to what was encoded', () => {
    const record = encodeUsage(usage);
    expect(record.headers.ce_dataschema).toBe(USAGE_SCHEMA_ID);
    expect(validator.problems(USAGE_SCHEMA_ID, JSON.parse(record.value), { closed: true })).toEqual([]);
    expect(decodeUsage(record.value, record.key)).toEqual(usage);
    expect(decodeUsage(Buffer.from(record.value), Buffer.from('42'))).toEqual(usage);
  });

  it('is refused by the schema and the decoder alike when a field is missing or wrong', () => {
    const json = JSON.parse(encodeUsage(usage).value);
    const variants: [string, unknown][] = [
      ['no sequence', { ...json, sequence: undefined }],
      ['a zero sequence', { ...json, sequence: 0 }],
      ['another version', { ...json, schema_version: 2 }],
      ['an unknown source', { ...json, source: 'gateway' }],
      ['NOT_FOUND counted', { ...json, verifications: { NOT_FOUND: { current: 1, previous: 0 } } }],
      ['no codes', { ...json, verifications: {} }],
      ['a negative count', { ...json, verifications: { VALID: { current: -1, previous: 0 } } }],
      ['a count per secret missing', { ...json, verifications: { VALID: { current: 1 } } }],
      ['no last use', { ...json, last_used_at: undefined }],
      ['a previous use that is no time', { ...json, previous_last_used_at: 'yesterday' }],
    ];
    for (const [what, value] of variants) {
      const text = JSON.stringify(value);
      expect([what, validator.problems(USAGE_SCHEMA_ID, JSON.parse(text)).length > 0]).toEqual([what, true]);
      expect(() => decodeUsage(text, '42')).toThrow(UnreadableUsageError);
    }
  });

  it('is refused when its message key is not its key id, or it is no JSON object', () => {
    const { value } = encodeUsage(usage);
    expect(() => decodeUsage(value, '43')).toThrow(/message key/);
    expect(() => decodeUsage(value, null)).toThrow(/message key/);
    expect(() => decodeUsage('[]', '42')).toThrow(/not a JSON object/);
    expect(() => decodeUsage(null, '42')).toThrow(/empty/);
  });
});
