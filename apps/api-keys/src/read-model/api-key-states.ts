import { Inject, Injectable } from '@nestjs/common';
import { isLiveKeyOf } from '@app/domain';
import { ProjectedKey } from './api-key.document';
import { ApiKeysReadModel } from './api-keys.read-model';
import { KeyStateCache } from './key-state-cache';
import { UnknownHashes } from './unknown-hashes';

/** How many partitions the events topic has: a user's keys are listed per partition. */
export const EVENT_PARTITIONS = Symbol('EVENT_PARTITIONS');

/**
 * Current state of single keys, as requests see it: from this process's cache when its projector
 * owns the key's partition, from MongoDB (by `_id`) otherwise.
 */
@Injectable()
export class ApiKeyStates {
  constructor(
    private readonly readModel: ApiKeysReadModel,
    private readonly cache: KeyStateCache,
    private readonly unknownHashes: UnknownHashes,
    @Inject(EVENT_PARTITIONS) private readonly partitionCount: number,
  ) {}

  /** The user's live keys, ascending: one read per partition of the events topic. */
  async liveKeyIdsOf(userId: number): Promise<number[]> {
    const partitions = Array.from({ length: this.partitionCount }, (_, p) => p);
    const docs = await this.readModel.userKeyDocs(userId, partitions);
    return [...docs.values()].flatMap((doc) => doc.key_ids).sort((a, b) => a - b);
  }

  /** The caller's live key, or null: another user's key and a revoked key look exactly like a missing one. */
  async findOwned(id: number, userId: number): Promise<ProjectedKey | null> {
    const key = await this.findAs(id, userId);
    return isLiveKeyOf(key, userId) ? key : null;
  }

  /**
   * Any key by id (revoked ones included), looked up on behalf of `userId`. A live key of theirs
   * that this process holds is answered from memory; anything else (another user's key, a revoked
   * one, an id never used) is read from the store by `_id`, so that every kind of "not yours" costs
   * the same store command: timing cannot tell another user's key from a missing one.
   */
  async findAs(id: number, userId: number): Promise<ProjectedKey | null> {
    const cached = this.cache.get(id);
    if (cached && isLiveKeyOf(cached, userId)) return cached;
    return this.read(id);
  }

  /** Any key by id, revoked ones (tombstones) included. */
  async find(id: number): Promise<ProjectedKey | null> {
    return this.cache.get(id) ?? this.read(id);
  }

  private async read(id: number): Promise<ProjectedKey | null> {
    const ticket = this.cache.ticket();
    const key = await this.readModel.findKey(id);
    if (key) this.cache.offer(ticket, key);
    return key;
  }

  /** Keys by id, from the cache where it can, the rest with one read each. */
  async findMany(ids: readonly number[]): Promise<Map<number, ProjectedKey>> {
    const found = new Map<number, ProjectedKey>();
    const missing: number[] = [];
    for (const id of ids) {
      const cached = this.cache.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    const ticket = this.cache.ticket();
    for (const [id, key] of await this.readModel.findKeys(missing)) {
      this.cache.offer(ticket, key);
      found.set(id, key);
    }
    return found;
  }

  /** The live key with this hash if this process holds it in memory; no database read. */
  knownLiveByHash(keyHash: string): ProjectedKey | null {
    const cached = this.cache.getByHash(keyHash);
    return cached && !cached.deleted_at ? cached : null;
  }

  /** The live key with this hash, or null when unknown or revoked. */
  async findLiveByHash(keyHash: string): Promise<ProjectedKey | null> {
    const cached = this.cache.getByHash(keyHash);
    if (cached) return cached.deleted_at ? null : cached;
    if (this.unknownHashes.has(keyHash)) return null;
    const id = await this.readModel.keyIdByHash(keyHash);
    const key = id === null ? null : await this.find(id);
    // A revoked key never comes back, so it is remembered like an unknown one.
    if (!key || key.deleted_at) {
      this.unknownHashes.add(keyHash);
      return null;
    }
    return key;
  }
}
