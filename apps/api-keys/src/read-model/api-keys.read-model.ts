import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, Model, mongo } from 'mongoose';
import { ApiKeyDocument, ProjectedKey, fromDocument, toDocument } from './api-key.document';
import {
  API_KEYS,
  CHECKPOINTS,
  CheckpointDocument,
  EVENT_OUTCOMES,
  EventOutcomeDocument,
  IDEMPOTENCY_CLAIMS,
  IDEMPOTENCY_RECORDS,
  IdempotencyClaimDocument,
  IdempotencyRecordDocument,
  KEY_EVENTS,
  KeyEvent,
  KeyEventDocument,
  keyEventId,
  toStoredEntry,
  KEY_HASHES,
  KeyHashDocument,
  USER_EMAILS,
  USER_KEYS,
  UserEmailDocument,
  UserKeysDocument,
  checkpointId,
  userKeysId,
} from './schemas';

const DUPLICATE_KEY = 11000;

// FerretDB v1.24 (SQLite) keeps the cursor of every statement of an update command open until the
// command ends, and its pool has 100 connections: a command that updates 100 existing documents
// waits for a connection forever. So updates go in commands of at most this many statements, and
// one process writes one command at a time (SQLite has a single writer anyway).
const UPDATES_PER_COMMAND = 40;
// Bounds the parallel `_id` reads of one call, so one big batch cannot take the whole pool.
const PARALLEL_READS = 16;

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function readAll<T, R>(items: readonly T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const part of chunks(items, PARALLEL_READS)) results.push(...(await Promise.all(part.map(read))));
  return results;
}

/** The ids whose insert failed because the `_id` already exists; any other failure is thrown. */
function duplicateIndexes(error: unknown): number[] {
  if (!(error instanceof mongo.MongoBulkWriteError)) throw error;
  const failures = ([] as mongo.WriteError[]).concat(error.writeErrors);
  if (failures.some((failure) => failure.code !== DUPLICATE_KEY)) throw error;
  return failures.map((failure) => failure.index);
}

/**
 * MongoDB access to the read models, every read by `_id` (see schemas.ts). Only the projector
 * writes; requests read through ApiKeyStates and the list use case.
 */
@Injectable()
export class ApiKeysReadModel {
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectModel(API_KEYS) private readonly keys: Model<ApiKeyDocument>,
    @InjectModel(KEY_HASHES) private readonly hashes: Model<KeyHashDocument>,
    @InjectModel(USER_KEYS) private readonly userKeys: Model<UserKeysDocument>,
    @InjectModel(USER_EMAILS) private readonly emails: Model<UserEmailDocument>,
    @InjectModel(CHECKPOINTS) private readonly checkpoints: Model<CheckpointDocument>,
    @InjectModel(KEY_EVENTS) private readonly keyEvents: Model<KeyEventDocument>,
    @InjectModel(IDEMPOTENCY_RECORDS) private readonly records: Model<IdempotencyRecordDocument>,
    @InjectModel(IDEMPOTENCY_CLAIMS) private readonly claims: Model<IdempotencyClaimDocument>,
    @InjectModel(EVENT_OUTCOMES) private readonly outcomes: Model<EventOutcomeDocument>,
  ) {}

  /** What the fold made of an event, once the projection has passed it. */
  eventOutcome(eventId: string): Promise<EventOutcomeDocument | null> {
    return this.outcomes.findById(eventId).lean<EventOutcomeDocument>().exec();
  }

  /** The outcomes recorded for these events (those that have one). */
  async eventOutcomes(eventIds: readonly string[]): Promise<Map<string, EventOutcomeDocument>> {
    const docs = await readAll([...new Set(eventIds)], (id) => this.eventOutcome(id));
    return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
  }

  /** An event's outcome is written once; a redelivered one is left as it is. */
  async insertEventOutcomes(docs: readonly EventOutcomeDocument[]): Promise<void> {
    await this.insertNew(this.outcomes, docs);
  }

  /** Outcomes folded again from what was stored (a redelivery, a reused id) replace guesses. */
  replaceEventOutcomes(docs: readonly EventOutcomeDocument[]): Promise<void> {
    return this.replaceAll(this.outcomes, docs);
  }

  /** A key's applied events at these versions (those that exist), in the order asked. */
  async eventsOf(keyId: number, versions: readonly number[]): Promise<KeyEventDocument[]> {
    const docs = await readAll(versions, (v) =>
      this.keyEvents.findById(keyEventId(keyId, v)).lean<KeyEventDocument>().exec(),
    );
    return docs.filter((doc) => doc !== null);
  }

  /** What became of a user's first request with this Idempotency-Key, if the log has it. */
  idempotencyRecord(id: string): Promise<IdempotencyRecordDocument | null> {
    return this.records.findById(id).lean<IdempotencyRecordDocument>().exec();
  }

  async idempotencyRecords(ids: readonly string[]): Promise<Map<string, IdempotencyRecordDocument>> {
    const docs = await readAll(ids, (id) => this.idempotencyRecord(id));
    return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
  }

  /** A key's history entries are written once; a redelivered one is left as it is. */
  async insertKeyEvents(entries: readonly KeyEvent[]): Promise<void> {
    await this.insertNew(this.keyEvents, entries.map(toStoredEntry));
  }

  /** History entries folded again from what was stored (a redelivery, a reused id) replace guesses. */
  replaceKeyEvents(entries: readonly KeyEvent[]): Promise<void> {
    return this.replaceAll(this.keyEvents, entries.map(toStoredEntry));
  }

  saveIdempotencyRecords(docs: readonly IdempotencyRecordDocument[]): Promise<void> {
    return this.replaceAll(this.records, docs);
  }

  /**
   * Gives a create's Idempotency-Key its key id, once: the first claimer's insert wins. Returns
   * the claim that holds (this one, or an earlier one still within its window).
   */
  async claimIdempotency(claim: IdempotencyClaimDocument): Promise<IdempotencyClaimDocument> {
    const existing = await this.claims.findById(claim._id).lean<IdempotencyClaimDocument>().exec();
    if (existing && existing.expires_at > new Date().toISOString()) return existing;
    if (existing) {
      // Its window is over: the key may name a new request (a race here costs one id, no more).
      await this.replaceAll(this.claims, [claim]);
      return claim;
    }
    const taken = await this.insertNew(this.claims, [claim]);
    if (taken.length === 0) return claim;
    return (await this.claims.findById(claim._id).lean<IdempotencyClaimDocument>().exec()) ?? claim;
  }

  /** Any key by id, revoked ones included (their tombstones). */
  async findKey(id: number): Promise<ProjectedKey | null> {
    const doc = await this.keys.findById(String(id)).lean<ApiKeyDocument>().exec();
    return doc && fromDocument(doc);
  }

  /** Keys by id; missing ones are absent from the map. */
  async findKeys(ids: readonly number[]): Promise<Map<number, ProjectedKey>> {
    const found = await readAll(ids, (id) => this.findKey(id));
    return new Map(found.filter((key) => key !== null).map((key) => [key.id, key]));
  }

  async keyIdByHash(keyHash: string): Promise<number | null> {
    const doc = await this.hashes.findById(keyHash).lean<KeyHashDocument>().exec();
    return doc?.key_id ?? null;
  }

  /** The user's live key ids in each of the given partitions. */
  async userKeyDocs(userId: number, partitions: readonly number[]): Promise<Map<number, UserKeysDocument>> {
    const docs = await readAll(partitions, (p) =>
      this.userKeys.findById(userKeysId(userId, p)).lean<UserKeysDocument>().exec(),
    );
    return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc.partition, doc]));
  }

  async userIdByEmail(email: string): Promise<number | null> {
    const doc = await this.emails.findById(email).lean<UserEmailDocument>().exec();
    return doc?.user_id ?? null;
  }

  checkpoint(topic: string, partition: number): Promise<CheckpointDocument | null> {
    return this.checkpoints.findById(checkpointId(topic, partition)).lean<CheckpointDocument>().exec();
  }

  /** Offset of the last applied record of a partition, or -1 when nothing has been applied. */
  async appliedOffset(topic: string, partition: number): Promise<number> {
    return (await this.checkpoint(topic, partition))?.offset ?? -1;
  }

  /** The largest key and user ids the projection has seen in any partition (0 when none). */
  async largestIds(topic: string, partitionCount: number): Promise<{ keyId: number; userId: number }> {
    const all = await readAll(
      Array.from({ length: partitionCount }, (_, p) => p),
      (p) => this.checkpoint(topic, p),
    );
    return {
      keyId: Math.max(0, ...all.map((c) => c?.max_key_id ?? 0)),
      userId: Math.max(0, ...all.map((c) => c?.max_user_id ?? 0)),
    };
  }

  /**
   * Inserts keys believed new; returns the ids that already existed (left unchanged), for the
   * projector to fold again from what is stored.
   */
  async insertKeys(keys: readonly ProjectedKey[]): Promise<number[]> {
    return (await this.insertNew(this.keys, keys.map(toDocument))).map(Number);
  }

  replaceKeys(keys: readonly ProjectedKey[]): Promise<void> {
    return this.update(
      this.keys,
      keys.map(toDocument).map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
    );
  }

  /** Hash lookups are written once; one that exists already (a redelivery) is left as it is. */
  async insertHashes(docs: readonly KeyHashDocument[]): Promise<void> {
    await this.insertNew(this.hashes, docs);
  }

  /**
   * The first id recorded for an email stays (every creation event of a user names the same one):
   * an email recorded already is left as it is. Inserts, not upserts: FerretDB answers an upsert
   * with a read and a write per document, an insert of many with one bulk write.
   */
  async recordEmails(docs: readonly UserEmailDocument[]): Promise<void> {
    await this.insertNew(this.emails, docs);
  }

  /** Inserts per-user lists believed new; returns the `_id`s that existed already (left unchanged). */
  insertUserKeys(docs: readonly UserKeysDocument[]): Promise<string[]> {
    return this.insertNew(this.userKeys, docs);
  }

  saveUserKeys(docs: readonly UserKeysDocument[]): Promise<void> {
    return this.replaceAll(this.userKeys, docs);
  }

  /** Writes whole documents by `_id`, created where missing. */
  private replaceAll<D extends { _id: string }>(model: Model<D>, docs: readonly D[]): Promise<void> {
    return this.update(
      model,
      docs.map((doc) => ({
        replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
      })),
    );
  }

  saveCheckpoint(checkpoint: CheckpointDocument): Promise<void> {
    return this.update(this.checkpoints, [
      { replaceOne: { filter: { _id: checkpoint._id }, replacement: checkpoint, upsert: true } },
    ]);
  }

  /** Inserts documents in one bulk write; returns the `_id`s of those that existed already. */
  private insertNew<D extends { _id: string }>(model: Model<D>, docs: readonly D[]): Promise<string[]> {
    if (docs.length === 0) return Promise.resolve([]);
    return this.exclusive(async () => {
      try {
        await this.driver(model).insertMany(docs as mongo.OptionalUnlessRequiredId<D>[], { ordered: false });
        return [];
      } catch (error) {
        return duplicateIndexes(error).map((index) => docs[index]._id);
      }
    });
  }

  private update<D extends { _id: string }>(model: Model<D>, operations: AnyBulkWriteOperation<D>[]): Promise<void> {
    if (operations.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      for (const part of chunks(operations, UPDATES_PER_COMMAND)) {
        await this.driver(model).bulkWrite(part, { ordered: true });
      }
    });
  }

  // The driver's collection, not mongoose's model: these are whole documents built from the domain
  // state, and mongoose would rebuild and cast each one again (a visible share of CPU in profiles).
  private driver<D extends { _id: string }>(model: Model<D>): mongo.Collection<D> {
    return model.collection as unknown as mongo.Collection<D>;
  }

  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writing.then(write);
    this.writing = result.catch(() => undefined);
    return result;
  }
}
