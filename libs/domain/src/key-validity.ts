import { ApiKeyState } from './api-key-state';

// Time is judged where a key is used, by these functions alone: the API's authentication, the
// verifiers and the views all ask them, against their own clock. Expiry and a rolled key's grace
// are data in the state; no event marks their passing.

/** Whether the key has passed its expiry at `now` (epoch ms): valid while now < expires_at. */
export const isExpired = (state: ApiKeyState, now: number): boolean =>
  state.expires_at !== null && now >= Date.parse(state.expires_at);

/** Whether a rolled key's previous secret still works at `now`: while now < previous_key_expires_at. */
export const previousSecretWorks = (state: ApiKeyState, now: number): boolean =>
  state.previous_key_hash !== null &&
  state.previous_key_expires_at !== null &&
  now < Date.parse(state.previous_key_expires_at);

/** What presenting a secret (by its hash) to a key means at `now`. */
export type SecretCheck =
  | { readonly valid: true; readonly matched: 'current' | 'previous' }
  | { readonly valid: false; readonly reason: 'not_found' | 'expired' | 'disabled' };

/**
 * The one judgement of a presented secret: unknown, revoked or a previous secret past its grace is
 * not found; then an expired key is expired (also when disabled: re-enabling would not help); then
 * a disabled key is disabled; else it is valid, by its current or its previous secret.
 */
export function checkSecret(state: ApiKeyState | null, hash: string, now: number): SecretCheck {
  if (state === null || state.deleted_at !== null) return { valid: false, reason: 'not_found' };
  const matched =
    hash === state.key_hash
      ? 'current'
      : hash === state.previous_key_hash && previousSecretWorks(state, now)
        ? 'previous'
        : null;
  if (matched === null) return { valid: false, reason: 'not_found' };
  if (isExpired(state, now)) return { valid: false, reason: 'expired' };
  if (!state.enabled) return { valid: false, reason: 'disabled' };
  return { valid: true, matched };
}
