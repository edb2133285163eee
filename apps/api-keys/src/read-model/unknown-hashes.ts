/**
 * Key hashes recently looked up and not found, so that a client repeating a wrong, guessed or
 * revoked-and-forgotten key costs no database read. Bounded in size (least recently added goes
 * first) and in time: a key created through another instance, presented before its creation was
 * projected, is refused for at most `ttlMs`. This instance's projector forgets a hash as soon as it
 * applies that key's creation.
 */
export class UnknownHashes {
  /**
   * As the service runs it: enough to absorb a client hammering a handful of bad keys; a guesser
   * sends new ones each time, and the failed-authentication rate limit is what bounds that.
   */
  static forService(): UnknownHashes {
    return new UnknownHashes(10_000, 10_000);
  }

  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(keyHash: string): boolean {
    const until = this.seen.get(keyHash);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.seen.delete(keyHash);
    return false;
  }

  add(keyHash: string): void {
    this.seen.delete(keyHash);
    this.seen.set(keyHash, this.now() + this.ttlMs);
    if (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
  }

  forget(keyHash: string): void {
    this.seen.delete(keyHash);
  }
}
