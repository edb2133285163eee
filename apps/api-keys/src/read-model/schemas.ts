import { Schema } from 'mongoose';
import { ApiKeyDocument } from './api-key.document';

// Mongoose model names (injection tokens). The collection names, which backups and dashboards
// depend on, are spelled out in each schema below.
export const API_KEYS = 'ApiKey';
export const CHECKPOINTS = 'ProjectionCheckpoint';
export const USERS = 'User';
export const API_KEY_IDS = 'ApiKeyIdClaim';
export const USER_IDS = 'UserIdClaim';

/**
 * Only the projector writes keys, with whole documents it built from the domain state (see
 * toDocument), through the driver; so the schema names the collection and the indexes, and leaves
 * the fields to the domain's ApiKeyState.
 */
export const apiKeySchema = new Schema<ApiKeyDocument>(
  { _id: { type: String, required: true } },
  { collection: 'api_keys', versionKey: false, _id: false, strict: false },
);
apiKeySchema.index({ key_hash: 1 }, { unique: true });
apiKeySchema.index({ user_id: 1 });

/** How far the read model has applied each partition of the events topic. */
export interface CheckpointDocument {
  readonly _id: string;
  readonly topic: string;
  readonly partition: number;
  /** Offset of the last record applied (not the next one to read). */
  readonly offset: number;
}

export const checkpointSchema = new Schema<CheckpointDocument>(
  { _id: String, topic: String, partition: Number, offset: Number },
  { collection: 'projection_checkpoints', versionKey: false, _id: false },
);

export interface UserDocument {
  readonly _id: number;
  readonly email: string;
  readonly created_at: Date;
}

export const userSchema = new Schema<UserDocument>(
  {
    _id: { type: Number, required: true },
    email: { type: String, required: true, index: { unique: true } },
    created_at: { type: Date, required: true },
  },
  { collection: 'users', versionKey: false, _id: false },
);

/** A claimed integer id: inserting `{_id: n}` succeeds for exactly one claimer, on any server. */
export interface IdClaimDocument {
  readonly _id: number;
}

const idClaimSchema = () =>
  new Schema<IdClaimDocument>({ _id: { type: Number, required: true } }, { versionKey: false, _id: false });
export const apiKeyIdSchema = idClaimSchema().set('collection', 'api_key_ids');
export const userIdSchema = idClaimSchema().set('collection', 'user_ids');
