import { FIELD_PRESENTATION, decodeEvent, encodeEvent } from '@app/contracts';
import {
  API_KEY_UPDATED,
  ApiKeyState,
  FieldValues,
  UPDATABLE_FIELDS,
  UpdatableField,
  decideCreate,
  decideUpdate,
  evolve,
  isRejection,
} from '@app/domain';
import { CreateApiKeyRequest } from '../create-api-key/create-api-key.request';
import { ValidBody } from '../http/body-validation';
import { UpdateApiKeyRequest, changesOf } from '../update-api-key/update-api-key.request';
import { toView } from '@app/access';

// Walks every field of the domain's list through every place that handles fields: a field added
// to the list is covered here without this test, or any of those places, being touched. Each
// field's example comes from its presentation in libs/contracts, which the type check demands.
const meta = { event_id: 'e', occurred_at: '2024-01-15T11:00:00.000Z', correlation_id: 'c' };
const owner = { userId: 1, email: 'u@example.com' };

/** The key a create with these fields makes. */
function createdKey(fields: Partial<FieldValues> = { name: 'k' }): ApiKeyState {
  const command = { keyId: 5, owner, keyType: 'private', keyHash: 'a'.repeat(64), transientAssistant: false } as const;
  const decision = decideCreate({ ...command, fields, liveKeys: 0, maxKeys: 10 }, meta);
  if (isRejection(decision)) throw new Error('create rejected');
  return evolve(null, decision.event)!;
}

describe.each(Object.keys(UPDATABLE_FIELDS) as UpdatableField[])('the field %s', (field) => {
  const { example } = FIELD_PRESENTATION[field];

  it('is accepted by an update request and carried as a change', () => {
    const body = new ValidBody(UpdateApiKeyRequest).transform({ api_key: { [field]: example } });
    expect(changesOf(body)).toEqual({ [field]: example });
  });

  it('is accepted by a create request and lands in the new key', () => {
    const body = new ValidBody(CreateApiKeyRequest).transform({
      api_key: { name: 'k', key_type: 'private', [field]: example },
    });
    expect(createdKey(body.api_key)[field]).toEqual(example);
  });

  it('survives the wire, the fold and the view', () => {
    const decision = decideUpdate(createdKey(), { keyId: 5, userId: 1, changes: { [field]: example } }, meta);
    if (isRejection(decision)) throw new Error('update rejected');
    const decoded = decodeEvent(encodeEvent(decision.event).value, '5');
    expect(decoded).toMatchObject({ event_type: API_KEY_UPDATED, data: { changes: { [field]: example } } });
    const state = evolve(createdKey(), decoded)!;
    expect(toView(state)).toMatchObject({ [field]: example });
  });
});
