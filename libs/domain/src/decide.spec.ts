import { ApiKeyState, evolve } from './api-key-state';
import { decideCreate, decideDelete, decideRoll, decideUpdate, isRejection } from './decide';

const meta = { event_id: 'e', occurred_at: '2024-01-15T11:00:00.000Z', correlation_id: 'c' };
const owner = { userId: 3, email: 'u@example.com' };
const create = (liveKeys = 0, fields: object = {}) =>
  decideCreate(
    {
      keyId: 7,
      owner,
      keyType: 'private',
      keyHash: 'a'.repeat(64),
      transientAssistant: false,
      fields: { name: 'k', ...fields },
      liveKeys,
      maxKeys: 2,
    },
    meta,
  );
const key = (): ApiKeyState => {
  const decision = create();
  if (isRejection(decision)) throw new Error('rejected');
  return evolve(null, decision.event)!;
};

describe('decideCreate', () => {
  it('makes a version-3 event naming who asked (null: no key, an operator bootstrap)', () => {
    const decision = create();
    expect(isRejection(decision) ? null : decision.event).toMatchObject({
      event_type: 'ApiKeyCreated',
      schema_version: 3,
      actor_key_id: null,
    });
  });

  it('refuses a key beyond the owner’s cap, naming it', () => {
    expect(create(2)).toEqual({ rejection: { reason: 'key_limit_reached', limit: 2 } });
  });
});

describe('decideUpdate and decideDelete', () => {
  it('refuses a key that is not the caller’s live key as not found', () => {
    expect(decideUpdate(key(), { keyId: 7, userId: 4, changes: { name: 'x' } }, meta)).toEqual({
      rejection: { reason: 'key_not_found' },
    });
    expect(decideDelete(null, { keyId: 7, userId: 3 }, meta)).toEqual({ rejection: { reason: 'key_not_found' } });
  });

  it('refuses at once a command that expects another version, naming the current one', () => {
    expect(
      decideUpdate(key(), { keyId: 7, userId: 3, changes: { name: 'x' }, conditions: { expectedVersion: 2 } }, meta),
    ).toEqual({
      rejection: { reason: 'version_mismatch', current: 1 },
    });
    expect(decideDelete(key(), { keyId: 7, userId: 3, conditions: { expectedVersion: 0 } }, meta)).toEqual({
      rejection: { reason: 'version_mismatch', current: 1 },
    });
  });

  it('carries its conditions in its event, so that the log decides again', () => {
    const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64), expiresAt: '2024-01-16T11:00:00.000Z' };
    const decision = decideUpdate(
      key(),
      { keyId: 7, userId: 3, changes: { name: 'x' }, conditions: { expectedVersion: 1, idempotency } },
      meta,
    );
    expect(isRejection(decision) ? null : decision.event).toMatchObject({
      schema_version: 3,
      expected_version: 1,
      idempotency_key: 'retry-1',
      request_fingerprint: 'f'.repeat(64),
      idempotency_expires_at: '2024-01-16T11:00:00.000Z',
    });
  });
});

describe('evolve with an expected version', () => {
  it('applies an event that expected the key’s version, and ignores one that expected another', () => {
    const at1 = key();
    const update = (expected: number, name: string) => {
      const decision = decideUpdate(
        { ...at1, version: expected },
        { keyId: 7, userId: 3, changes: { name }, conditions: { expectedVersion: expected } },
        meta,
      );
      if (isRejection(decision)) throw new Error('rejected');
      return decision.event;
    };
    const winner = evolve(at1, update(1, 'first'));
    expect(winner).toMatchObject({ name: 'first', version: 2 });
    // A second writer that also read version 1: the log puts it after the winner, so it is ignored.
    expect(evolve(winner, update(1, 'second'))).toBe(winner);
    expect(evolve(winner, update(2, 'third'))).toMatchObject({ name: 'third', version: 3 });
  });
});

describe('expiry', () => {
  it('refuses an expiry that is not after the moment of the decision, at creation and in an update', () => {
    const at = (expires_at: string) => create(0, { expires_at });
    expect(at('2024-01-15T11:00:00Z')).toEqual({ rejection: { reason: 'expiry_not_in_future' } });
    expect(isRejection(at('2024-01-15T11:00:01Z'))).toBe(false);
    expect(decideUpdate(key(), { keyId: 7, userId: 3, changes: { expires_at: '2020-01-01T00:00:00Z' } }, meta)).toEqual(
      {
        rejection: { reason: 'expiry_not_in_future' },
      },
    );
    expect(isRejection(decideUpdate(key(), { keyId: 7, userId: 3, changes: { expires_at: null } }, meta))).toBe(false);
  });
});

describe('decideRoll', () => {
  const roll = (state: ApiKeyState | null, expirePreviousInSeconds: number, userId = 3) =>
    decideRoll(state, { keyId: 7, userId, keyHash: 'b'.repeat(64), expirePreviousInSeconds, actorKeyId: 9 }, meta);

  it('gives the key a new secret and keeps the replaced one for the grace, to the whole second after it', () => {
    expect(roll(key(), 90)).toMatchObject({
      event: {
        event_type: 'ApiKeyRolled',
        schema_version: 1,
        actor_key_id: 9,
        data: {
          key_hash: 'b'.repeat(64),
          previous_key_hash: 'a'.repeat(64),
          previous_key_expires_at: '2024-01-15T11:01:30Z',
        },
      },
    });
  });

  it('ends the replaced secret at once without a grace', () => {
    expect(roll(key(), 0)).toMatchObject({ event: { data: { previous_key_expires_at: null } } });
  });

  it('refuses another user’s key, or none, as not found', () => {
    expect(roll(key(), 0, 4)).toEqual({ rejection: { reason: 'key_not_found' } });
    expect(roll(null, 0)).toEqual({ rejection: { reason: 'key_not_found' } });
  });
});
