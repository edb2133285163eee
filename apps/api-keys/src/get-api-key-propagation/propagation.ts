import { Heartbeat } from '@app/contracts';

export interface Propagation {
  readonly position: string | null;
  readonly all_applied: boolean;
  readonly verifiers: { readonly instance: string; readonly applied: string | null; readonly last_seen: string }[];
}

/**
 * A key's position (`<partition>:<offset>`, null: unknown) against the verifiers heard: each one's
 * applied offset in that partition at its last heartbeat. All applied only when at least one
 * verifier was heard and every one has reached the position: with none heard nothing confirms it.
 */
export function propagationOf(position: string | null, heard: readonly Heartbeat[]): Propagation {
  const [partition, offset] = position === null ? [0, Infinity] : position.split(':').map(Number);
  const verifiers = heard.map((beat) => {
    const applied = beat.applied.get(partition);
    return {
      instance: beat.instance,
      applied: applied === undefined ? null : `${partition}:${applied}`,
      last_seen: beat.sentAt,
      reached: applied !== undefined && applied >= offset,
    };
  });
  return {
    position,
    all_applied: position !== null && verifiers.length > 0 && verifiers.every((v) => v.reached),
    verifiers: verifiers.map(({ reached: _reached, ...verifier }) => verifier),
  };
}
