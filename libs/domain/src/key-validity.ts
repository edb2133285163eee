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

/** Which of a live key's secrets `hash` is at `now`; null for none (or a revoked or unknown key). */
function matchedSecret(state: ApiKeyState | null, hash: string, now: number): 'current' | 'previous' | null {
  if (state === null || state.deleted_at !== null) return null;
  if (hash === state.key_hash) return 'current';
  return hash === state.previous_key_hash && previousSecretWorks(state, now) ? 'previous' : null;
}

/**
 * The one judgement of a presented secret: unknown, revoked or a previous secret past its grace is
 * not found; then an expired key is expired (also when disabled: re-enabling would not help); then
 * a disabled key is disabled; else it is valid, by its current or its previous secret.
 */
export function checkSecret(state: ApiKeyState | null, hash: string, now: number): SecretCheck {
  const matched = matchedSecret(state, hash, now);
  if (state === null || matched === null) return { valid: false, reason: 'not_found' };
  if (isExpired(state, now)) return { valid: false, reason: 'expired' };
  if (!state.enabled) return { valid: false, reason: 'disabled' };
  return { valid: true, matched };
}

/** A verifier's answer codes, in the order it judges them: the first that applies is the answer. */
export const VERIFICATION_CODES = [
  'NOT_FOUND',
  'DISABLED',
  'EXPIRED',
  'ORIGIN_NOT_ALLOWED',
  'ASSISTANT_NOT_ALLOWED',
  'VALID',
] as const;
export type VerificationCode = (typeof VERIFICATION_CODES)[number];

/** Where the presented key is being used, as the caller of a verifier says. */
export interface UseContext {
  /** The browser's Origin, exactly as sent; null when the request had none. */
  readonly origin: string | null;
  /** The assistant the key is used for; null when not said. */
  readonly assistantId: string | null;
}

/** A verifier's judgement: NOT_FOUND matched no secret; every other code names the secret it matched. */
export type Verification =
  | { readonly code: 'NOT_FOUND'; readonly matched: null }
  | { readonly code: Exclude<VerificationCode, 'NOT_FOUND'>; readonly matched: 'current' | 'previous' };

const nfc = (value: string) => value.normalize('NFC');

/**
 * The verifier's judgement of a secret used in a context, beside checkSecret so that the rules
 * live in one place: the same secret matching and the same clock rules. Its order is the
 * verifier's public contract (issue 19, as Unkey's verifyKey): NOT_FOUND, DISABLED, EXPIRED,
 * ORIGIN_NOT_ALLOWED, ASSISTANT_NOT_ALLOWED, VALID. It differs from the API's own 401 on one
 * point on purpose: a key both disabled and expired is DISABLED here, "expired" there (where the
 * holder learns that re-enabling alone would not help).
 * - ORIGIN_NOT_ALLOWED: a public key with allowed_origins, and another origin or none (a public
 *   key lives in browsers, which always send one);
 * - ASSISTANT_NOT_ALLOWED: a key with allowed_assistants, and another assistant id (compared
 *   after Unicode NFC, as the list's ids are told apart); none said is not checked.
 */
export function verifySecret(state: ApiKeyState | null, hash: string, now: number, use: UseContext): Verification {
  const matched = matchedSecret(state, hash, now);
  if (state === null || matched === null) return { code: 'NOT_FOUND', matched: null };
  const code = (): Exclude<VerificationCode, 'NOT_FOUND'> => {
    if (!state.enabled) return 'DISABLED';
    if (isExpired(state, now)) return 'EXPIRED';
    const origins = state.allowed_origins;
    if (state.key_type === 'public' && origins.length > 0 && (use.origin === null || !origins.includes(use.origin)))
      return 'ORIGIN_NOT_ALLOWED';
    const assistants = state.allowed_assistants;
    if (use.assistantId !== null && assistants.length > 0 && !assistants.map(nfc).includes(nfc(use.assistantId)))
      return 'ASSISTANT_NOT_ALLOWED';
    return 'VALID';
  };
  return { code: code(), matched };
}
