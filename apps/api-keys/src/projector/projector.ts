import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { UnreadableEventError, decodeEvent } from '@app/contracts';
import { API_KEY_CREATED } from '@app/domain';
import { ConsumedBatch, GroupMembers, LogPosition, PartitionConsumer } from '@app/kafka';
import { EventLog } from '../event-log/event-log';
import { kafkaLogOf } from '../logging';
import { Metrics } from '../metrics/metrics';
import { ProjectedKey } from '../read-model/api-key.document';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { KeyStateCache } from '../read-model/key-state-cache';
import { CheckpointDocument, UserKeysDocument, checkpointId, idempotencyId } from '../read-model/schemas';
import { UnknownHashes } from '../read-model/unknown-hashes';
import {
  LoggedEvent,
  createdFirst,
  foldBatch,
  mayRepeatUnlisted,
  membershipChanges,
  secretHashes,
  userKeysAfter,
} from './batch-fold';
import { ProjectionProgress } from './projection-progress';
import { decodeMarks, encodeMarks, nextMarks } from './state-marks';

/** Whether this process runs the projector (the bootstrap command does not join the group). */
export const PROJECTOR_ENABLED = Symbol('PROJECTOR_ENABLED');

const USER_KEYS_CACHED = 10_000;

/**
 * Folds the events topic into the read models. One batch is one partition's records in log order.
 * Records at or before the partition's checkpoint are already applied and skipped; the rest are
 * decoded, folded in memory onto the keys' current states (cached; new keys need no read; the rest
 * read by `_id`). Whether an event repeats one applied before is known from its key's document,
 * save for a key with more applied events than that names and a record no newer than its latest
 * (see `mayRepeatUnlisted`): then its `event_outcomes` document is read. Then, in this order: each
 * event's history entry and outcome, the idempotency
 * records, each changed key once (new ones inserted, others replaced); the hash and per-user read
 * models of created and revoked keys; the keys' states on the state topic (published beside the
 * key writes when the batch creates no key, since its final states are known before them); this
 * process's cache; the checkpoint. Only then are waiting requests woken and the Kafka offsets
 * committed. Records it cannot read go to the dead-letter topic and the partition moves on.
 */
@Injectable()
export class Projector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('projector');
  private consumer: PartitionConsumer | null = null;
  /** Each owned partition's checkpoint, as this projector last read or wrote it. */
  private readonly checkpoints = new Map<number, CheckpointDocument>();
  /** The user_keys documents of owned partitions this projector last read or wrote. */
  private readonly userKeys = new Map<string, UserKeysDocument | null>();
  /** Emails whose user id is recorded already, so a user's next keys need no write for it. */
  private readonly recordedEmails = new Set<string>();

  constructor(
    private readonly log: EventLog,
    private readonly readModel: ApiKeysReadModel,
    private readonly progress: ProjectionProgress,
    private readonly cache: KeyStateCache,
    private readonly unknownHashes: UnknownHashes,
    private readonly metrics: Metrics,
    @Inject(PROJECTOR_ENABLED) private readonly enabled: boolean,
  ) {}

  /** Ready once it has joined the consumer group (or when this process does not project). */
  get ready(): boolean {
    return !this.enabled || (this.consumer?.ready ?? false);
  }

  /** The consumer group's members (the service's instances), for budgets shared across them. */
  groupMembers(): Promise<GroupMembers | null> {
    return this.consumer?.members() ?? Promise.resolve(null);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    this.consumer = this.log.consumer({
      handleBatch: (batch) => this.apply(batch),
      onAssignment: (partitions) => {
        // Another member may have applied these partitions meanwhile: forget what we knew of them.
        this.checkpoints.clear();
        this.userKeys.clear();
        this.cache.setOwned(partitions);
        this.progress.setOwned(this.log.topic, partitions);
      },
      log: kafkaLogOf(this.logger),
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async apply(batch: ConsumedBatch): Promise<void> {
    this.metrics.batchSize.observe(batch.records.length);
    const checkpoint = await this.checkpointOf(batch.topic, batch.partition);
    const events = await this.decode(batch, checkpoint.offset);
    const lastOffset = batch.records[batch.records.length - 1].offset;
    if (lastOffset <= checkpoint.offset) {
      return this.progress.markApplied(batch.topic, batch.partition, lastOffset, decodeMarks(checkpoint.state_marks));
    }

    const { finals, published } = await this.saveKeys(events);
    const touched = [...membershipChanges(events)].map((id) => finals.get(id)).filter((k) => k !== undefined);
    // Each secret the batch's creations and rolls name, mapped to its key, as the events say (not
    // as the keys end the batch: a key created and rolled in one batch has both).
    const hashes = secretHashes(events);
    // The hash lookups, the per-user lists and every key the batch touched as it now stands, on the
    // state topic (a redelivery publishes the same values again): independent of each other, so
    // side by side.
    const [, , positions] = await Promise.all([
      this.readModel.insertHashes(hashes),
      this.saveMemberships(checkpoint, events, touched),
      published ?? this.log.publishStates(finals.values()),
    ]);
    for (const { _id } of hashes) this.unknownHashes.forget(_id);
    // Order matters. Keys, their lookups and their published states first, then this process's
    // cache, then its waiting requests, then the checkpoint: whoever sees the checkpoint (a request
    // polling it, another instance) must find the documents and the cache at least as new. The
    // requests waiting here read only those, so they need not wait for the checkpoint's round trip.
    // A crash between steps leaves documents ahead of the checkpoint, which the per-key applied
    // position makes harmless on redelivery.
    this.cache.applied(batch.partition, finals.values());
    // Where the batch left the state topic, for write receipts: one field of the checkpoint, which
    // is written after the states are acknowledged (state-marks.ts says why there and not per key).
    // The requests waiting here get the marks in memory, with their wake-up.
    const marks = nextMarks(decodeMarks(checkpoint.state_marks), lastOffset, Date.now(), positions);
    this.progress.markApplied(batch.topic, batch.partition, lastOffset, marks);
    const created = events.filter(({ event }) => event.event_type === API_KEY_CREATED).map(({ event }) => event);
    const next: CheckpointDocument = {
      ...checkpoint,
      offset: lastOffset,
      max_key_id: Math.max(checkpoint.max_key_id, ...created.map((e) => e.api_key_id)),
      max_user_id: Math.max(checkpoint.max_user_id, ...created.map((e) => e.user_id)),
      ...(marks.length > 0 && { state_marks: encodeMarks(marks) }),
    };
    await this.readModel.saveCheckpoint(next);
    this.checkpoints.set(batch.partition, next);
  }

  /** The batch's records after the checkpoint, decoded; unreadable ones go to the dead-letter topic. */
  private async decode(batch: ConsumedBatch, appliedOffset: number): Promise<LoggedEvent[]> {
    const events: LoggedEvent[] = [];
    for (const record of batch.records) {
      if (record.offset <= appliedOffset) continue;
      try {
        events.push({
          event: decodeEvent(record.value, record.key),
          at: { partition: batch.partition, offset: record.offset },
        });
      } catch (error) {
        if (!(error instanceof UnreadableEventError)) throw error;
        this.logger.warn({
          msg: 'unreadable event set aside to the dead-letter topic',
          partition: batch.partition,
          offset: record.offset,
          reason: error.message,
        });
        await this.log.deadLetter(batch, record, error.message);
        this.metrics.deadLetters.inc();
      }
    }
    return events;
  }

  /**
   * Folds the events onto the keys' states and writes each changed key once. Returns every key
   * the events name, as it now stands. This projector is the only writer of its partitions' keys,
   * so cached states are current; keys created in this batch are new unless the insert says not.
   *
   * Also returns the publication of those states when it could start early: a batch without
   * creations folds once, so its final states are known before the writes, and the state topic's
   * round trip runs beside them. apply() awaits it before the checkpoint either way; a state
   * published ahead of its documents is still what the log decided, and a redelivery publishes
   * it again.
   */
  private async saveKeys(
    events: readonly LoggedEvent[],
  ): Promise<{ finals: Map<number, ProjectedKey>; published: Promise<LogPosition[]> | null }> {
    const ids = new Set(events.map(({ event }) => event.api_key_id));
    const fresh = createdFirst(events);
    const starts = new Map<number, ProjectedKey | null>();
    const unknown: number[] = [];
    for (const id of ids) {
      const cached = this.cache.get(id);
      if (cached) starts.set(id, cached);
      else if (fresh.has(id)) starts.set(id, null);
      else unknown.push(id);
    }
    const loaded = await this.readModel.findKeys(unknown);
    for (const id of unknown) starts.set(id, loaded.get(id) ?? null);
    const recordIds = events.flatMap(({ event }) =>
      event.idempotency_key === undefined
        ? []
        : [idempotencyId(event.user_id, event.api_key_id, event.idempotency_key)],
    );
    const known = await this.readModel.idempotencyRecords([...new Set(recordIds)]);
    const { changed, history, records, outcomes } = foldBatch(
      events,
      starts,
      known,
      await this.appliedBefore(events, starts),
    );
    const inserted = [...changed.values()].filter((key) => starts.get(key.id) === null);
    const replaced = [...changed.values()].filter((key) => starts.get(key.id) !== null);
    const published = inserted.length === 0 ? this.log.publishStates(finalsOf(ids, changed, starts).values()) : null;
    // Awaited by apply(); this only keeps a failed write below from leaving its rejection unobserved.
    published?.catch(() => {});

    // History, outcomes and idempotency records go first: a crash before the keys are written
    // leaves them to be written again (identically) on redelivery, while the keys, once written,
    // are ahead of a redelivered batch, which then folds nothing.
    // Independent of each other, so side by side: one round trip of the store, not three.
    await Promise.all([
      this.readModel.insertKeyEvents(history),
      this.readModel.insertEventOutcomes(outcomes),
      this.readModel.saveIdempotencyRecords([...records.values()]),
    ]);
    const existing = await this.readModel.insertKeys(inserted);
    if (existing.length > 0) {
      // A redelivery after a crash, or an id created twice in the log: fold again from what is stored.
      const stored = await this.readModel.findKeys(existing);
      const again = new Map(existing.map((id) => [id, stored.get(id) ?? null]));
      for (const id of existing) {
        starts.set(id, again.get(id) ?? null);
        changed.delete(id);
      }
      const refoldedEvents = events.filter(({ event }) => again.has(event.api_key_id));
      const refolded = foldBatch(refoldedEvents, again, known, await this.appliedBefore(refoldedEvents, again));
      for (const [id, key] of refolded.changed) changed.set(id, key);
      replaced.push(...refolded.changed.values());
      await this.readModel.replaceKeyEvents(refolded.history);
      await this.readModel.replaceEventOutcomes(refolded.outcomes);
      await this.readModel.saveIdempotencyRecords([...refolded.records.values()]);
    }
    await this.readModel.replaceKeys(replaced);
    return { finals: finalsOf(ids, changed, starts), published };
  }

  /**
   * Where the record that applied each event sits, for the events whose key's document cannot
   * tell whether it was applied before (`mayRepeatUnlisted`: rare, a key with many events and a
   * record no newer than its latest), as their `event_outcomes` documents say.
   */
  private async appliedBefore(
    events: readonly LoggedEvent[],
    starts: ReadonlyMap<number, ProjectedKey | null>,
  ): Promise<Map<string, { readonly offset: number }>> {
    const unlisted = events.filter(({ event }) => mayRepeatUnlisted(starts.get(event.api_key_id) ?? null, event));
    if (unlisted.length === 0) return new Map();
    const outcomes = await this.readModel.eventOutcomes(unlisted.map(({ event }) => event.event_id));
    return new Map([...outcomes].filter(([, doc]) => doc.outcome === 'applied'));
  }

  /** The hash lookups, owners' emails and per-user lists of keys the batch created or revoked. */
  private async saveMemberships(
    checkpoint: CheckpointDocument,
    events: readonly LoggedEvent[],
    keys: readonly ProjectedKey[],
  ) {
    const { partition } = checkpoint;
    if (keys.length === 0) return;
    const createdHere = new Set(
      events.filter(({ event }) => event.event_type === API_KEY_CREATED).map(({ event }) => event.api_key_id),
    );
    const created = keys.filter((key) => createdHere.has(key.id));
    const emails = new Map(
      created.filter((k) => !this.recordedEmails.has(k.user_email)).map((k) => [k.user_email, k.user_id]),
    );
    await this.readModel.recordEmails([...emails].map(([email, userId]) => ({ _id: email, user_id: userId })));
    for (const email of emails.keys()) this.recordedEmails.add(email);

    const users = new Set(keys.map((key) => key.user_id));
    const before = await this.userKeysOf(partition, users, { newAbove: checkpoint.max_user_id });
    const after = userKeysAfter(partition, keys, before);
    // New lists are inserted in bulk. One that exists after all (written before a crash that came
    // before the checkpoint) is folded again from what is stored and replaced.
    const fresh = after.filter((doc) => !before.get(doc.user_id));
    const existing = new Set(await this.readModel.insertUserKeys(fresh));
    const replaced = after.filter((doc) => before.get(doc.user_id));
    if (existing.size > 0) {
      const again = fresh.filter((doc) => existing.has(doc._id)).map((doc) => doc.user_id);
      const stored = await this.userKeysOf(partition, new Set(again), { cached: false });
      replaced.push(
        ...userKeysAfter(
          partition,
          keys.filter((key) => stored.has(key.user_id)),
          stored,
        ),
      );
    }
    await this.readModel.saveUserKeys(replaced);
    for (const doc of [...fresh.filter((doc) => !existing.has(doc._id)), ...replaced]) this.remember(doc._id, doc);
  }

  /**
   * The users' user_keys documents of a partition: cached, known not to exist, or read by `_id`.
   * A list is written only for a user who created a key in this partition, and the checkpoint
   * holds the largest such user id applied: a user above it has no list here (unless a crash came
   * between the lists and the checkpoint, which the insert then tells). User ids grow, so a new
   * user's first keys need no read; nor does a rebuild, where every partition starts at 0.
   * `newAbove: Infinity` reads every list not cached; `cached: false` reads them all.
   */
  private async userKeysOf(
    partition: number,
    users: ReadonlySet<number>,
    { newAbove = Infinity, cached: useCache = true } = {},
  ) {
    const docs = new Map<number, UserKeysDocument | null>();
    const unknown: number[] = [];
    for (const userId of users) {
      const cached = useCache ? this.userKeys.get(`${userId}:${partition}`) : undefined;
      if (cached !== undefined) docs.set(userId, cached);
      else if (userId > newAbove) docs.set(userId, null);
      else unknown.push(userId);
    }
    const loaded = await Promise.all(unknown.map((userId) => this.readModel.userKeyDocs(userId, [partition])));
    unknown.forEach((userId, i) => {
      const doc = loaded[i].get(partition) ?? null;
      docs.set(userId, doc);
      this.remember(`${userId}:${partition}`, doc);
    });
    return docs;
  }

  private remember(id: string, doc: UserKeysDocument | null): void {
    this.userKeys.delete(id);
    this.userKeys.set(id, doc);
    if (this.userKeys.size > USER_KEYS_CACHED) this.userKeys.delete(this.userKeys.keys().next().value as string);
  }

  /**
   * The partition's checkpoint, read from the store when this projector takes the partition (its
   * first batch since an assignment).
   */
  private async checkpointOf(topic: string, partition: number): Promise<CheckpointDocument> {
    const cached = this.checkpoints.get(partition);
    if (cached) return cached;
    const known = await this.readModel.checkpoint(topic, partition);
    const checkpoint = known ?? {
      _id: checkpointId(topic, partition),
      topic,
      partition,
      offset: -1,
      max_key_id: 0,
      max_user_id: 0,
    };
    this.checkpoints.set(partition, checkpoint);
    return checkpoint;
  }
}

/** Each key of the batch as it now stands: changed by the batch, or as it started. */
function finalsOf(
  ids: Iterable<number>,
  changed: ReadonlyMap<number, ProjectedKey>,
  starts: ReadonlyMap<number, ProjectedKey | null>,
): Map<number, ProjectedKey> {
  const finals = new Map<number, ProjectedKey>();
  for (const id of ids) {
    const key = changed.get(id) ?? starts.get(id);
    if (key) finals.set(id, key);
  }
  return finals;
}
