import { ApiKeyEvent, decideCreate, isRejection } from '@app/domain';
import { LogPosition } from '@app/kafka';
import { DeleteApiKeyCommand } from '../delete-api-key/delete-api-key.command';
import { DeleteApiKeyHandler } from '../delete-api-key/delete-api-key.handler';
import { ApiKeyNotFoundError, ClientGoneError, DeadlineExceededError } from '../errors';
import { EventRecorder, Recorded } from '../event-log/event-recorder';
import { foldBatch } from '../projector/batch-fold';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdempotencyRecordDocument, KeyEventDocument } from '../read-model/schemas';
import { ProjectedKey } from '../read-model/api-key.document';
import { ApiKeyStates } from '../read-model/api-key-states';
import { UpdateApiKeyCommand } from '../update-api-key/update-api-key.command';
import { UpdateApiKeyHandler } from '../update-api-key/update-api-key.handler';
import { KeyCommandFlow } from './key-command-flow';
import { KeyLock } from './key-lock';

/**
 * One partition of the log and its projection, in memory: what the handlers read (ApiKeyStates)
 * and where they record (EventRecorder). `projectionLags` makes recording answer "not visible".
 */
class FakeLog
  implements
    Pick<ApiKeyStates, 'find'>,
    Pick<EventRecorder, 'record'>,
    Pick<ApiKeysReadModel, 'idempotencyRecord' | 'eventsOf'>
{
  readonly events: ApiKeyEvent[] = [];
  readonly keys = new Map<number, ProjectedKey>();
  readonly history = new Map<string, KeyEventDocument>();
  readonly records = new Map<string, IdempotencyRecordDocument>();
  projectionLags = false;

  /** Another writer's event, appended and projected (by the projector's own fold) behind the handler's back. */
  append(event: ApiKeyEvent): LogPosition {
    const position = { topic: 't', partition: 0, offset: this.events.length };
    this.events.push(event);
    const starts = new Map([[event.api_key_id, this.keys.get(event.api_key_id) ?? null]]);
    const folded = foldBatch([{ event, at: position }], starts, this.records);
    for (const [id, key] of folded.changed) this.keys.set(id, key);
    for (const entry of folded.history) this.history.set(entry._id, entry);
    for (const [id, record] of folded.records) this.records.set(id, record);
    return position;
  }

  idempotencyRecord(id: string) {
    return Promise.resolve(this.records.get(id) ?? null);
  }

  eventsOf(keyId: number, versions: readonly number[]) {
    return Promise.resolve(versions.flatMap((v) => this.history.get(`${keyId}:${v}`) ?? []));
  }

  find(id: number) {
    return Promise.resolve(this.keys.get(id) ?? null);
  }

  record(event: ApiKeyEvent): Promise<Recorded> {
    if (this.projectionLags) {
      this.events.push(event);
      return Promise.resolve({
        position: { topic: 't', partition: 0, offset: this.events.length - 1 },
        visible: false,
      });
    }
    return Promise.resolve({ position: this.append(event), visible: true });
  }
}

/** Bounds of a request with time to spare and its client still there. */
const open = () => ({ deadline: Date.now() + 60_000, signal: new AbortController().signal });
const meta = (id: string) => ({ event_id: id, occurred_at: '2024-01-15T11:00:00.000Z', correlation_id: 'c' });
const ALICE = { userId: 1, userEmail: 'alice@example.com' };
const BOB = { userId: 2, userEmail: 'bob@example.com' };

function setup() {
  const log = new FakeLog();
  const created = decideCreate(
    {
      keyId: 7,
      owner: { userId: ALICE.userId, email: ALICE.userEmail },
      keyType: 'private',
      keyHash: 'a'.repeat(64),
      transientAssistant: false,
      fields: { name: 'Original' },
      liveKeys: 0,
      maxKeys: 10,
    },
    meta('created'),
  );
  if (isRejection(created)) throw new Error('unexpected rejection');
  log.append(created.event);
  const flow = new KeyCommandFlow(
    log as unknown as ApiKeyStates,
    log as unknown as ApiKeysReadModel,
    log as unknown as EventRecorder,
    new KeyLock(),
    { idempotencyWindowMs: 3_600_000 },
  );
  return { log, update: new UpdateApiKeyHandler(flow), remove: new DeleteApiKeyHandler(flow) };
}

describe('UpdateApiKeyHandler', () => {
  it('records exactly the changes and answers with the key as the projection left it', async () => {
    const { log, update } = setup();
    const result = await update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'Renamed' }, 'req-1', open()));
    expect(result).toEqual({
      kind: 'done',
      key: expect.objectContaining({ id: 7, name: 'Renamed', key_value: null }),
      version: 2,
    });
    expect(log.events.at(-1)).toMatchObject({
      event_type: 'ApiKeyUpdated',
      correlation_id: 'req-1',
      data: { changes: { name: 'Renamed' } },
    });
  });

  it('refuses another user’s key as not found and records nothing', async () => {
    const { log, update } = setup();
    await expect(
      update.execute(new UpdateApiKeyCommand(7, BOB, { name: 'Hijack' }, 'r', open())),
    ).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    await expect(update.execute(new UpdateApiKeyCommand(99, ALICE, { name: 'x' }, 'r', open()))).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    expect(log.events).toHaveLength(1);
  });

  it('says 202 with the event id, not stale data, when the projection does not catch up', async () => {
    const { log, update } = setup();
    log.projectionLags = true;
    const result = await update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'Later' }, 'r', open()));
    expect(result).toEqual({ kind: 'accepted', keyId: 7, eventId: log.events.at(-1)?.event_id });
  });
});

describe('DeleteApiKeyHandler', () => {
  it('revokes the key and answers with its last state', async () => {
    const { log, remove } = setup();
    const result = await remove.execute(new DeleteApiKeyCommand(7, ALICE, 'r', open()));
    expect(result).toMatchObject({ kind: 'done', key: { id: 7, name: 'Original' } });
    expect(log.keys.get(7)?.deleted_at).not.toBeNull();
  });

  it('answers not found to a second delete and records nothing more', async () => {
    const { log, remove } = setup();
    await remove.execute(new DeleteApiKeyCommand(7, ALICE, 'r', open()));
    await expect(remove.execute(new DeleteApiKeyCommand(7, ALICE, 'r', open()))).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    expect(log.events.map((e) => e.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyDeleted']);
  });

  it('answers not found when the log applied another instance’s delete first', async () => {
    const { log, remove } = setup();
    // The other instance's delete lands between this handler's decision and its own append.
    const record = log.record.bind(log);
    log.record = (event) => {
      log.append({ ...event, event_id: 'theirs' });
      return record(event);
    };
    await expect(remove.execute(new DeleteApiKeyCommand(7, ALICE, 'r', open()))).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    expect(log.keys.get(7)?.deleted_at).not.toBeNull();
  });
});

describe('KeyCommandFlow', () => {
  it('runs the commands of one key one at a time, so a racing loser records nothing', async () => {
    const { log, update, remove } = setup();
    const outcomes = await Promise.allSettled([
      remove.execute(new DeleteApiKeyCommand(7, ALICE, 'r', open())),
      update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'Too late' }, 'r', open())),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(log.events.map((e) => e.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyDeleted']);
  });

  it('records nothing for a command whose client left while it waited its turn', async () => {
    const { log, update } = setup();
    const client = new AbortController();
    const bounds = { deadline: Date.now() + 60_000, signal: client.signal };
    client.abort();
    await expect(update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'x' }, 'r', bounds))).rejects.toBeInstanceOf(
      ClientGoneError,
    );
    expect(log.events).toHaveLength(1);
  });

  it('records nothing and says so (503) for a command whose deadline passed before its turn', async () => {
    const { log, update } = setup();
    const bounds = { deadline: Date.now() - 1, signal: new AbortController().signal };
    await expect(update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'x' }, 'r', bounds))).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    expect(log.events).toHaveLength(1);
  });

  it('refuses at once, recording nothing, a command whose If-Match names another version', async () => {
    const { log, update } = setup();
    const stale = { ifMatch: { any: false as const, versions: [3] } };
    await expect(
      update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'x' }, 'r', open(), stale)),
    ).rejects.toMatchObject({ code: 'precondition_failed', headers: { ETag: '"1"' } });
    expect(log.events).toHaveLength(1);
  });

  it('carries the version If-Match named into its event', async () => {
    const { log, update } = setup();
    const ifMatch = { any: false as const, versions: [1] };
    await update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'x' }, 'r', open(), { ifMatch }));
    expect(log.events.at(-1)).toMatchObject({ schema_version: 2, expected_version: 1 });
  });

  it('answers 412 with the current version when the log applied another write with the same If-Match first', async () => {
    const { log, update } = setup();
    const record = log.record.bind(log);
    log.record = (event) => {
      // Another instance's conditional write, also expecting version 1, lands just before ours.
      log.append({ ...event, event_id: 'theirs', data: { changes: { name: 'theirs' } } } as typeof event);
      return record(event);
    };
    const ifMatch = { any: false as const, versions: [1] };
    await expect(
      update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'ours' }, 'r', open(), { ifMatch })),
    ).rejects.toMatchObject({ code: 'precondition_failed', headers: { ETag: '"2"' } });
    expect(log.keys.get(7)).toMatchObject({ name: 'theirs', version: 2 });
  });

  it('answers a retry with a used Idempotency-Key as the first attempt, appending nothing', async () => {
    const { log, update } = setup();
    const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64) };
    const first = await update.execute(
      new UpdateApiKeyCommand(7, ALICE, { name: 'once' }, 'r', open(), { idempotency }),
    );
    await update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'later' }, 'r', open()));
    const again = await update.execute(
      new UpdateApiKeyCommand(7, ALICE, { name: 'once' }, 'r', open(), { idempotency }),
    );
    expect(again).toEqual(first);
    expect(log.events.map((e) => e.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyUpdated', 'ApiKeyUpdated']);
  });

  it('refuses an Idempotency-Key reused for a different request with 422, appending nothing', async () => {
    const { log, update } = setup();
    const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64) };
    await update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'once' }, 'r', open(), { idempotency }));
    const other = { key: 'retry-1', fingerprint: 'e'.repeat(64) };
    await expect(
      update.execute(new UpdateApiKeyCommand(7, ALICE, { name: 'other' }, 'r', open(), { idempotency: other })),
    ).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(log.events).toHaveLength(2);
  });

  it('shows what a dry run would do and records nothing', async () => {
    const { log, update } = setup();
    const result = await update.execute(
      new UpdateApiKeyCommand(7, ALICE, { name: 'maybe' }, 'r', open(), { dryRun: true }),
    );
    expect(result).toMatchObject({
      kind: 'dry_run',
      key: { name: 'maybe' },
      version: 2,
      event: { event_type: 'ApiKeyUpdated' },
    });
    expect(log.events).toHaveLength(1);
  });
});
