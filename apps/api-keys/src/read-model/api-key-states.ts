import { Injectable } from '@nestjs/common';
import { isLiveKeyOf } from '@app/domain';
import { ProjectedKey } from './api-key.document';
import { ApiKeysReadModel } from './api-keys.read-model';
import { KeyStateCache } from './key-state-cache';

/**
 * Current state of single keys, as requests see it: from this process's cache when its projector
 * owns the key's partition, from MongoDB otherwise.
 */
@Injectable()
export class ApiKeyStates {
  constructor(
    private readonly readModel: ApiKeysReadModel,
    private readonly cache: KeyStateCache,
  ) {}

  /** The caller's live key, or null: another user's key and a revoked key look exactly like a missing one. */
  async findOwned(id: number, userId: number): Promise<ProjectedKey | null> {
    const key = await this.find(id);
    return isLiveKeyOf(key, userId) ? key : null;
  }

  /** Any key by id, revoked ones (tombstones) included. */
  async find(id: number): Promise<ProjectedKey | null> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const ticket = this.cache.ticket();
    const key = await this.readModel.findAny(id);
    if (key) this.cache.offer(ticket, key);
    return key;
  }

  /** The live key with this hash, or null when unknown or revoked. */
  async findLiveByHash(keyHash: string): Promise<ProjectedKey | null> {
    const cached = this.cache.getByHash(keyHash);
    if (cached) return cached.deleted_at ? null : cached;
    const ticket = this.cache.ticket();
    const key = await this.readModel.findByHash(keyHash);
    if (key) this.cache.offer(ticket, key);
    return key && !key.deleted_at ? key : null;
  }
}
