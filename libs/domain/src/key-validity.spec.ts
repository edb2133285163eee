import { ApiKeyState, evolve } from './api-key-state';
import { decideCreate, decideRoll, decideUpdate, isRejection } from './decide';
import { ApiKeyEvent } from './events';
import { UseContext, checkSecret, isExpired, previousSecretWorks, verifySecret } from './key-validity';

const at = (time: string) => Date.parse(time);
let clock = at('2024-01-15T11:00:00.000Z');
const meta = () => ({
  event_id: `e${clock}`,
  occurred_at: new Date((clock += 1000)).toISOString(),
  correlation_id: 'c',
});
const decided = (decision: { event: ApiKeyEvent } | { rejection: unknown }) => {
  if (isRejection(decision as never)) throw new Error('refused');
  return (decision as { event: ApiKeyEvent }).event;
};
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function created(fields: object = {}, keyType: 'private' | 'public' = 'private'): ApiKeyState {
  const event = decided(
    decideCreate(
      {
        keyId: 1,
        owner: { userId: 1, email: 'u@example.com' },
        keyType,
        keyHash: A,
        transientAssistant: false,
        fields: { name: 'k', ...fields },
        liveKeys: 0,
        maxKeys: 9,
      },
      meta(),
    ),
  );
  return evolve(null, event)!;
}
const rolled = (state: ApiKeyState, hash: string, grace: number) =>
  evolve(
    state,
    decided(decideRoll(state, { keyId: 1, userId: 1, keyHash: hash, expirePreviousInSeconds: grace }, meta())),
  )!;
const updated = (state: ApiKeyState, changes: object) =>
  evolve(state, decided(decideUpdate(state, { keyId: 1, userId: 1, changes }, meta())))!;

describe('checkSecret, the one judgement of a presented secret', () => {
  it('is valid by the current secret, and not found by any other', () => {
    const key = created();
    expect(checkSecret(key, A, clock)).toEqual({ valid: true, matched: 'current' });
    expect(checkSecret(key, B, clock)).toEqual({ valid: false, reason: 'not_found' });
    expect(checkSecret(null, A, clock)).toEqual({ valid: false, reason: 'not_found' });
  });

  it('is valid while now < expires_at, and expired from that second on', () => {
    const key = created({ expires_at: '2024-01-15T12:00:00Z' });
    expect(checkSecret(key, A, at('2024-01-15T11:59:59.999Z')).valid).toBe(true);
    expect(checkSecret(key, A, at('2024-01-15T12:00:00.000Z'))).toEqual({ valid: false, reason: 'expired' });
    expect(isExpired(updated(key, { expires_at: null }), at('2099-01-01T00:00:00Z'))).toBe(false);
  });

  it('refuses a disabled key until it is enabled again, and names expiry first when both hold', () => {
    const disabled = updated(created({ expires_at: '2024-01-15T12:00:00Z' }), { enabled: false });
    expect(checkSecret(disabled, A, at('2024-01-15T11:30:00Z'))).toEqual({ valid: false, reason: 'disabled' });
    expect(checkSecret(disabled, A, at('2024-01-15T12:30:00Z'))).toEqual({ valid: false, reason: 'expired' });
    expect(checkSecret(updated(disabled, { enabled: true }), A, at('2024-01-15T11:30:00Z')).valid).toBe(true);
  });

  it('takes a rolled key’s previous secret during its grace only, and one previous secret at most', () => {
    const once = rolled(created(), B, 60);
    const rolledAt = Date.parse(once.updated_at);
    expect(checkSecret(once, B, rolledAt)).toEqual({ valid: true, matched: 'current' });
    expect(checkSecret(once, A, rolledAt + 30_000)).toEqual({ valid: true, matched: 'previous' });
    expect(previousSecretWorks(once, Date.parse(once.previous_key_expires_at!))).toBe(false);
    expect(checkSecret(once, A, Date.parse(once.previous_key_expires_at!))).toEqual({
      valid: false,
      reason: 'not_found',
    });
    // A second roll during the grace: B becomes the previous secret, and A stops at once.
    const twice = rolled(once, C, 60);
    expect(checkSecret(twice, A, Date.parse(twice.updated_at))).toEqual({ valid: false, reason: 'not_found' });
    expect(checkSecret(twice, B, Date.parse(twice.updated_at))).toEqual({ valid: true, matched: 'previous' });
    // Without a grace, the replaced secret stops at once.
    const cut = rolled(twice, A, 0);
    expect([cut.previous_key_hash, cut.previous_key_expires_at]).toEqual([null, null]);
    expect(checkSecret(cut, C, Date.parse(cut.updated_at)).valid).toBe(false);
  });

  it('keeps expiry and enabled across a roll', () => {
    const key = rolled(updated(created({ expires_at: '2024-01-15T12:00:00Z' }), { enabled: false }), B, 0);
    expect([key.expires_at, key.enabled]).toEqual(['2024-01-15T12:00:00Z', false]);
  });
});

describe('verifySecret, a verifier’s judgement of a secret where it is used', () => {
  const anywhere: UseContext = { origin: null, assistantId: null };
  const codeOf = (state: ApiKeyState | null, use: Partial<UseContext> = {}, hash = A, now = clock) =>
    verifySecret(state, hash, now, { ...anywhere, ...use }).code;

  it('answers VALID with the matched secret, and NOT_FOUND with none for an unknown or revoked key', () => {
    const key = created();
    expect(verifySecret(key, A, clock, anywhere)).toEqual({ code: 'VALID', matched: 'current' });
    expect(verifySecret(key, B, clock, anywhere)).toEqual({ code: 'NOT_FOUND', matched: null });
    expect(verifySecret(null, A, clock, anywhere)).toEqual({ code: 'NOT_FOUND', matched: null });
    expect(codeOf({ ...key, deleted_at: key.updated_at })).toBe('NOT_FOUND');
  });

  it('names DISABLED before EXPIRED (where the API’s 401 names expiry first)', () => {
    const both = updated(created({ expires_at: '2024-01-15T12:00:00Z' }), { enabled: false });
    const later = at('2024-01-15T12:30:00Z');
    expect(codeOf(both, {}, A, later)).toBe('DISABLED');
    expect(checkSecret(both, A, later)).toEqual({ valid: false, reason: 'expired' });
    expect(codeOf(updated(both, { enabled: true }), {}, A, later)).toBe('EXPIRED');
  });

  it('holds a public key with allowed_origins to those origins, and refuses it without one', () => {
    const key = created({ allowed_origins: ['https://app.example.com'] }, 'public');
    expect(codeOf(key, { origin: 'https://app.example.com' })).toBe('VALID');
    expect(codeOf(key, { origin: 'https://evil.example.com' })).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(key)).toBe('ORIGIN_NOT_ALLOWED');
    // A private key's origins are not a browser's rule; an empty list allows every origin.
    expect(codeOf(created({ allowed_origins: ['https://app.example.com'] }), { origin: 'https://x.example' })).toBe(
      'VALID',
    );
    expect(codeOf(created({}, 'public'), { origin: 'https://x.example' })).toBe('VALID');
  });

  it('holds a key with allowed_assistants to those assistants (after NFC), when an assistant is named', () => {
    const key = created({ allowed_assistants: ['caf\u00e9', '42'] });
    expect(codeOf(key, { assistantId: '42' })).toBe('VALID');
    expect(codeOf(key, { assistantId: 'cafe\u0301' })).toBe('VALID');
    expect(codeOf(key, { assistantId: '43' })).toBe('ASSISTANT_NOT_ALLOWED');
    expect(codeOf(key)).toBe('VALID');
    expect(codeOf(created(), { assistantId: '43' })).toBe('VALID');
  });

  it('judges the origin before the assistant, and both after expiry', () => {
    const key = created(
      { allowed_origins: ['https://app.example.com'], allowed_assistants: ['1'], expires_at: '2024-01-15T12:00:00Z' },
      'public',
    );
    const wrong = { origin: 'https://x.example', assistantId: '2' };
    expect(codeOf(key, wrong, A, at('2024-01-15T11:30:00Z'))).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(key, { ...wrong, origin: 'https://app.example.com' }, A, at('2024-01-15T11:30:00Z'))).toBe(
      'ASSISTANT_NOT_ALLOWED',
    );
    expect(codeOf(key, wrong, A, at('2024-01-15T12:30:00Z'))).toBe('EXPIRED');
  });

  it('takes a rolled key’s previous secret during its grace as matched "previous", then NOT_FOUND', () => {
    const key = rolled(created(), B, 60);
    const rolledAt = Date.parse(key.updated_at);
    expect(verifySecret(key, A, rolledAt + 1000, anywhere)).toEqual({ code: 'VALID', matched: 'previous' });
    expect(verifySecret(key, B, rolledAt + 1000, anywhere)).toEqual({ code: 'VALID', matched: 'current' });
    expect(codeOf(key, {}, A, Date.parse(key.previous_key_expires_at!))).toBe('NOT_FOUND');
    expect(verifySecret(updated(key, { enabled: false }), A, rolledAt + 1000, anywhere)).toEqual({
      code: 'DISABLED',
      matched: 'previous',
    });
  });
});
