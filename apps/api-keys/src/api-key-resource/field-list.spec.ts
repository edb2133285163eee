import { decodeEvent, encodeEvent } from '@app/contracts';
import {
  API_KEY_UPDATED,
  ApiKeyState,
  FieldRule,
  FieldValues,
  UPDATABLE_FIELDS,
  decideCreate,
  decideUpdate,
  evolve,
  isRejection,
} from '@app/domain';
import { CreateApiKeyRequest } from '../create-api-key/create-api-key.request';
import { ValidBody } from '../http/body-validation';
import { UpdateApiKeyRequest, changesOf } from '../update-api-key/update-api-key.request';
import { toView } from './api-key.view';

// Walks every field of the domain's list through every place that handles fields: a field added
// to the list is covered here without this test, or any of those places, being touched.
const meta = { event_id: 'e', occurred_at: '2024-01-15T11:00:00.000Z', correlation_id: 'c' };
const owner = { userId: 1, email: 'u@example.com' };

/** The key a create with these fields makes. */
function createdKey(fields: Partial<FieldValues> = { name: 'k' }): ApiKeyState {
  const command = { keyId: 5, owner, keyType: 'private', keyHash: 'a'.repeat(64), transientAssistant: false } as const;
  const decision = decideCreate({ ...command, fields, liveKeys: 0, maxKeys: 10 }, meta);
  if (isRejection(decision)) throw new Error('create rejected');
  return evolve(null, decision.event)!;
}

describe.each(Object.entries(UPDATABLE_FIELDS) as [string, FieldRule<unknown>][])('the field %s', (field, rule) => {
  it('is accepted by an update request and carried as a change', () => {
    const body = new ValidBody(UpdateApiKeyRequest).transform({ api_key: { [field]: rule.example } });
    expect(changesOf(body)).toEqual({ [field]: rule.example });
  });

  it('is accepted by a create request and lands in the new key', () => {
    const body = new ValidBody(CreateApiKeyRequest).transform({
      api_key: { name: 'k', key_type: 'private', [field]: rule.example },
    });
    expect(createdKey(body.api_key)[field as keyof ApiKeyState]).toEqual(rule.example);
  });

  it('survives the wire, the fold and the view', () => {
    const decision = decideUpdate(createdKey(), { keyId: 5, userId: 1, changes: { [field]: rule.example } }, meta);
    if (isRejection(decision)) throw new Error('update rejected');
    const decoded = decodeEvent(encodeEvent(decision.event).value, '5');
    expect(decoded).toMatchObject({ event_type: API_KEY_UPDATED, data: { changes: { [field]: rule.example } } });
    const state = evolve(createdKey(), decoded)!;
    expect(toView(state)).toMatchObject({ [field]: rule.example });
  });
});
