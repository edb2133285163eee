import { ApiKeyState, evolve } from './api-key-state';
import { decideCreate, decideDelete, decideUpdate, isRejection } from './decide';

const meta = { event_id: 'e', occurred_at: '2024-01-15T11:00:00.000Z', correlation_id: 'c' };
const owner = { userId: 3, email: 'u@example.com' };
const create = (liveKeys = 0) =>
  decideCreate(
    {
      keyId: 7,
      owner,
      keyType: 'private',
      keyHash: 'a'.repeat(64),
      transientAssistant: false,
      fields: { name: 'k' },
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
  it('makes a plain version-1 event for a plain create', () => {
    const decision = create();
    expect(isRejection(decision) ? null : decision.event).toMatchObject({
      event_type: 'ApiKeyCreated',
      schema_version: 1,
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

  it('carries its conditions in a version-2 event, so that the log decides again', () => {
    const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64), expiresAt: '2024-01-16T11:00:00.000Z' };
    const decision = decideUpdate(
      key(),
      { keyId: 7, userId: 3, changes: { name: 'x' }, conditions: { expectedVersion: 1, idempotency } },
      meta,
    );
    expect(isRejection(decision) ? null : decision.event).toMatchObject({
      schema_version: 2,
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
