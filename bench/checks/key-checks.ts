// What authentication's checks of a presented key cost, apart from any lookup: its shape and
// checksum (issue 18's checksummed keys), its SHA-256 (the lookup's key, as before), and the
// judgement of the found key (expired, disabled, a rolled key's grace: issue 18's checkSecret).
// Timed in the bench process over many rounds, so the figure is per check, not per request.
import { hashSecret, newSecret, secretShape } from '@app/access';
import { ApiKeyState, checkSecret } from '@app/domain';

export interface KeyCheckCost {
  /** Nanoseconds per call, each check alone. */
  readonly shape_ns: number;
  readonly hash_ns: number;
  readonly judge_ns: number;
}

/** Times each check over `rounds` calls (after a warm-up of as many), on a key of today's shape. */
export function keyCheckCost(rounds = 200_000): KeyCheckCost {
  const secret = newSecret('private');
  const now = Date.now();
  const state: ApiKeyState = {
    id: 1,
    key_type: 'private',
    name: 'bench key',
    allowed_origins: [],
    allowed_assistants: [],
    expires_at: new Date(now + 3_600_000).toISOString(),
    enabled: true,
    meta: {},
    key_hash: secret.hash,
    previous_key_hash: null,
    previous_key_expires_at: null,
    transient_assistant: false,
    user_id: 1,
    user_email: 'bench@example.com',
    created_at: new Date(now).toISOString(),
    updated_at: new Date(now).toISOString(),
    deleted_at: null,
    version: 1,
  };
  const time = (check: () => unknown) => {
    let sink: unknown;
    for (let i = 0; i < rounds; i++) sink = check();
    const began = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) sink = check();
    const ns = Number(process.hrtime.bigint() - began) / rounds;
    if (sink === undefined) throw new Error('the check returned nothing');
    return Math.round(ns);
  };
  return {
    shape_ns: time(() => secretShape(secret.value)),
    hash_ns: time(() => hashSecret(secret.value)),
    judge_ns: time(() => checkSecret(state, secret.hash, now)),
  };
}
