import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { ApiKeyDocument, ProjectedKey, fromDocument, toDocument } from './api-key.document';
import { API_KEYS, CHECKPOINTS, CheckpointDocument } from './schemas';

/** MongoDB access to the projected state. Only the projector writes; requests read through ApiKeyStates. */
@Injectable()
export class ApiKeysReadModel {
  constructor(
    @InjectModel(API_KEYS) private readonly keys: Model<ApiKeyDocument>,
    @InjectModel(CHECKPOINTS) private readonly checkpoints: Model<CheckpointDocument>,
  ) {}

  /** Any key by id, revoked ones included (their tombstones). */
  async findAny(id: number): Promise<ProjectedKey | null> {
    const doc = await this.keys.findById(String(id)).lean<ApiKeyDocument>().exec();
    return doc && fromDocument(doc);
  }

  async listOwned(userId: number): Promise<ProjectedKey[]> {
    const docs = await this.keys.find({ user_id: userId, deleted_at: null }).sort({ id: 1 }).lean<ApiKeyDocument[]>();
    return docs.map(fromDocument);
  }

  /** The key with this hash, revoked or not (hashes are unique). */
  async findByHash(keyHash: string): Promise<ProjectedKey | null> {
    const doc = await this.keys.findOne({ key_hash: keyHash }).lean<ApiKeyDocument>().exec();
    return doc && fromDocument(doc);
  }

  /** The largest key id in the read model (0 when empty). */
  async maxKeyId(): Promise<number> {
    const last = await this.keys.findOne({}, { id: 1 }).sort({ id: -1 }).lean<{ id: number }>().exec();
    return last?.id ?? 0;
  }

  /** The id of the user who owns keys under this email, if the read model knows one. */
  async ownerIdByEmail(email: string): Promise<number | null> {
    const doc = await this.keys.findOne({ user_email: email }, { user_id: 1 }).lean<{ user_id: number }>().exec();
    return doc?.user_id ?? null;
  }

  /** The largest owner id the read model knows (0 when empty). */
  async maxUserId(): Promise<number> {
    const last = await this.keys.findOne({}, { user_id: 1 }).sort({ user_id: -1 }).lean<{ user_id: number }>().exec();
    return last?.user_id ?? 0;
  }

  async loadMany(ids: readonly number[]): Promise<Map<number, ProjectedKey>> {
    const docs = await this.keys
      .find({ _id: { $in: ids.map(String) } })
      .lean<ApiKeyDocument[]>()
      .exec();
    return new Map(docs.map((d) => [d.id, fromDocument(d)]));
  }

  /** Stores folded keys (the projector then records its checkpoint; see Projector.apply). */
  async saveKeys(changed: readonly ProjectedKey[]): Promise<void> {
    if (changed.length === 0) return;
    // The driver's bulkWrite, not mongoose's: these are whole documents the projector built, and
    // mongoose would rebuild and cast each one again (a visible share of CPU in the profile).
    await (this.keys.collection as unknown as mongo.Collection<ApiKeyDocument>).bulkWrite(
      changed
        .map(toDocument)
        .map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
      { ordered: true },
    );
  }

  async saveCheckpoint(checkpoint: CheckpointDocument): Promise<void> {
    await this.checkpoints.replaceOne({ _id: checkpoint._id }, checkpoint, { upsert: true }).exec();
  }

  /** Offset of the last applied record of a partition, or -1 when nothing has been applied. */
  async appliedOffset(topic: string, partition: number): Promise<number> {
    const doc = await this.checkpoints.findById(checkpointId(topic, partition)).lean<CheckpointDocument>().exec();
    return doc?.offset ?? -1;
  }
}

export const checkpointId = (topic: string, partition: number) => `${topic}:${partition}`;
