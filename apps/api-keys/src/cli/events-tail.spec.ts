import { API_KEY_DELETED, API_KEY_UPDATED, ApiKeyEvent, encodeEvent } from '@app/contracts';
import { tailLine } from './events-tail';

const event = (id: number, type: typeof API_KEY_DELETED | typeof API_KEY_UPDATED = API_KEY_DELETED): ApiKeyEvent => {
  const base = {
    event_id: `e${id}`,
    schema_version: 1,
    api_key_id: id,
    user_id: 3,
    occurred_at: '2024-01-20T00:00:00.000Z',
    correlation_id: 'req',
  } as const;
  return type === API_KEY_DELETED
    ? { ...base, event_type: API_KEY_DELETED, data: {} }
    : { ...base, event_type: API_KEY_UPDATED, data: { changes: { name: 'Key', allowed_origins: [] } } };
};
const recordOf = (e: ApiKeyEvent, offset = 5) => {
  const { key, value } = encodeEvent(e);
  return { partition: 2, offset, key, value: Buffer.from(value) };
};

describe('events tail, one record', () => {
  it('prints the decoded event with its partition and offset as one JSON line', () => {
    const result = tailLine(recordOf(event(7, API_KEY_UPDATED)));
    expect(result).toEqual({ line: expect.any(String) });
    const line = (result as { line: string }).line;
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ partition: 2, offset: 5, event: event(7, API_KEY_UPDATED) });
  });

  it('prints the event as the contract decodes it: fields it does not know are left out', () => {
    const record = recordOf(event(7));
    const withExtra = { ...record, value: Buffer.from(JSON.stringify({ ...event(7), trace: 'x' })) };
    expect(tailLine(withExtra)).toEqual(tailLine(record));
  });

  it('skips the records of other keys when asked for one key', () => {
    expect(tailLine(recordOf(event(7)), '8')).toBeNull();
    expect(tailLine(recordOf(event(8)), '8')).not.toBeNull();
  });

  it('reports an unreadable record instead of printing it', () => {
    expect(tailLine({ partition: 0, offset: 1, key: '7', value: Buffer.from('{nope') })).toEqual({
      unreadable: 'value is not JSON',
    });
    expect(tailLine({ partition: 0, offset: 1, key: '7', value: null })).toEqual({ unreadable: 'empty record value' });
  });
});
