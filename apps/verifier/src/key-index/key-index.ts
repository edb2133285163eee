import { ApiKeyState } from '@app/domain';

/** What one state-topic record says, decoded: a key's new state, or that it is gone. */
export type StateChange =
  { readonly id: number; readonly state: ApiKeyState } | { readonly id: number; readonly state: null };

const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});

/**
 * The one copy of a string V8 keeps in its string table (which forgets strings nobody holds): a
 * property name is internalised, and Object.keys gives that copy back. For values many keys share.
 */
const interned = (text: string): string => Object.keys({ [text]: 0 })[0] ?? text;

/**
 * A state as held, for memory (at 100,000 keys this took the heap from about 634 to 431 bytes a
 * key: docs/benchmarks.md, `npm run bench -- --verify`): every empty list and empty object is one
 * shared frozen instance (JSON.parse makes a new one each time: `meta: {}` alone cost ~50 bytes),
 * the owner's email is one string for all their keys, and an updated_at equal to created_at (a key
 * never changed) is the same string. Nothing reads a held state to change it.
 */
export function compactState(state: ApiKeyState): ApiKeyState {
  const held: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(state) as Array<[string, unknown]>) {
    if (Array.isArray(value)) held[field] = value.length === 0 ? EMPTY_LIST : value;
    else if (value !== null && typeof value === 'object')
      held[field] = Object.keys(value).length === 0 ? EMPTY_OBJECT : value;
    else held[field] = value;
  }
  held.user_email = interned(state.user_email);
  if (state.updated_at === state.created_at) held.updated_at = held.created_at;
  return held as unknown as ApiKeyState;
}

/**
 * Every live key of the state topic in memory, by the hashes of its secrets: the current one and,
 * after a roll with a grace, the previous one (whether that still works is judged at use, against
 * the clock, by the domain's verifySecret: no timer removes it). A revoked key (deleted_at set) or
 * a tombstone removes the key and its hashes. Holds at most two hashes per live key.
 *
 * It also keeps, per partition, the offset of the last record applied, which is this instance's
 * public position: a caller's `min_position` is met once it is reached, and heartbeats can report
 * it. Records at or below that offset are skipped, so reading the topic again from its beginning
 * (after the reader restarts) never takes a key back to an older state.
 */
export class KeyIndex {
  private readonly byHash = new Map<string, ApiKeyState>();
  private readonly byId = new Map<number, ApiKeyState>();
  private readonly applied = new Map<number, number>();

  /** Live keys held. */
  get size(): number {
    return this.byId.size;
  }

  /** The key one of whose secrets has this hash (the secret may still be past its grace: judge it). */
  findByHash(hash: string): ApiKeyState | null {
    return this.byHash.get(hash) ?? null;
  }

  /** The offset of the last record applied from `partition`; -1 before any. */
  appliedOffset(partition: number): number {
    return this.applied.get(partition) ?? -1;
  }

  /** Every partition's last applied offset (for heartbeats, readiness and the lag metric). */
  appliedOffsets(): ReadonlyMap<number, number> {
    return this.applied;
  }

  /**
   * Applies the record at `offset` of `partition`: a new state or null (a tombstone, or a record
   * that could not be read: better forget a key than keep a stale one). Returns false when that
   * offset was already applied.
   */
  apply(partition: number, offset: number, change: StateChange): boolean {
    if (offset <= this.appliedOffset(partition)) return false;
    this.applied.set(partition, offset);
    this.forget(change.id);
    if (change.state === null || change.state.deleted_at !== null) return true;
    const state = compactState(change.state);
    this.byId.set(state.id, state);
    this.byHash.set(state.key_hash, state);
    if (state.previous_key_hash !== null) this.byHash.set(state.previous_key_hash, state);
    return true;
  }

  /** Marks an offset as applied without a key (a record with no key id to forget). */
  skip(partition: number, offset: number): void {
    if (offset > this.appliedOffset(partition)) this.applied.set(partition, offset);
  }

  private forget(id: number): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    // Only entries that still point at this key: a hash is another key's only if SHA-256 collided.
    for (const hash of [old.key_hash, old.previous_key_hash])
      if (hash !== null && this.byHash.get(hash) === old) this.byHash.delete(hash);
  }
}
