import { keyState } from '../../../../test/support/key-fixtures';
import { ProjectedKey, fromDocument, toDocument } from './api-key.document';
import { KeyEventDocument, stateOfEntry } from './schemas';

const projected = (events?: ProjectedKey['applied_events']): ProjectedKey => ({
  ...keyState({ id: 7 }),
  applied: { partition: 1, offset: 42 },
  ...(events && { applied_events: events }),
});

describe('a projected key as stored', () => {
  it('keeps the applied events as one text, and reads them back as they were', () => {
    const key = projected({ first_ids: ['e-1', 'e-2'], latest_at: '2024-01-01T00:00:00.000Z' });
    const doc = toDocument(key);
    expect(doc).toMatchObject({ _id: '7', applied_events: '2024-01-01T00:00:00.000Z e-1 e-2' });
    expect(fromDocument(doc)).toEqual(key);
  });

  it('reads a key stored before it named its applied events without any', () => {
    const key = projected();
    expect(toDocument(key)).not.toHaveProperty('applied_events');
    expect(fromDocument(toDocument(key))).toEqual(key);
  });
});

describe('the state a history entry holds', () => {
  const entry = (state?: unknown) =>
    ({ _id: '7:1', key_id: 7, version: 1, ...(state !== undefined && { state }) }) as unknown as KeyEventDocument;

  it('is read from its JSON text, or from the object older entries hold', () => {
    const state = keyState({ id: 7 });
    expect(stateOfEntry(entry(JSON.stringify(state)))).toEqual(state);
    expect(stateOfEntry(entry(state))).toEqual(state);
  });

  it('is unknown for an entry written before entries held one', () => {
    expect(stateOfEntry(entry())).toBeNull();
  });
});
