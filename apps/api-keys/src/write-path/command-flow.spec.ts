import { ApiKeyEvent, decideCreate, isRejection } from '@app/domain';
import { LogPosition } from '@app/kafka';
import { hashSecret } from '@app/access';
import { CreateApiKeyCommand } from '../create-api-key/create-api-key.command';
import { CreateApiKeyHandler } from '../create-api-key/create-api-key.handler';
import { DeleteApiKeyCommand } from '../delete-api-key/delete-api-key.command';
import { DeleteApiKeyHandler } from '../delete-api-key/delete-api-key.handler';
import { ApiKeyNotFoundError, ClientGoneError, DeadlineExceededError } from '../errors';
import { Principal, RequestBounds } from '../http/request-context';
import { foldBatch } from '../projector/batch-fold';
import { ProjectedKey } from '../read-model/api-key.document';
import { ApiKeyStates } from '../read-model/api-key-states';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import {
  EventOutcomeDocument,
  IdempotencyClaimDocument,
  IdempotencyRecordDocument,
  KeyEvent,
} from '../read-model/schemas';
import { UpdateApiKeyCommand } from '../update-api-key/update-api-key.command';
import { UpdateApiKeyHandler } from '../update-api-key/update-api-key.handler';
import { CommandFlow } from './command-flow';
import { EventRecorder, Recorded } from './event-recorder';
import { KeyLock } from './key-lock';
import { RequestConditions } from './write-request';

/**
 * One partition of the log and its projection, in memory: what the flow reads (ApiKeyStates, the
 * read model's records and outcomes) and where it records (EventRecorder). Events are folded by
 * the projector's own fold. `projectionLags` makes recording answer "not visible".
 */
class FakeLog
  implements
    Pick<ApiKeyStates, 'find' | 'findAs' | 'liveKeyIdsOf'>,
    Pick<EventRecorder, 'record' | 'receiptAt' | 'receiptOfEarlier'>,
    Pick<ApiKeysReadModel, 'idempotencyRecord' | 'eventOutcome' | 'claimIdempotency'>
{
  readonly events: ApiKeyEvent[] = [];
  readonly keys = new Map<number, ProjectedKey>();
  readonly history = new Map<string, KeyEvent>();
  readonly records = new Map<string, IdempotencyRecordDocument>();
  readonly outcomes = new Map<string, EventOutcomeDocument>();
  readonly claims = new Map<string, IdempotencyClaimDocument>();
  projectionLags = false;
  nextId = 41;

  /** Events the projection has not reached yet. */
  private pending = 0;

  /** Another writer's event, appended and projected (with any before it) behind the flow's back. */
  append(event: ApiKeyEvent): LogPosition {
    this.events.push(event);
    this.project();
    return { topic: 't', partition: 0, offset: this.events.length - 1 };
  }

  /** Folds what the projection has not reached, in log order, with the projector's own fold. */
  private project(): void {
    for (; this.pending < this.events.length; this.pending += 1) {
      const event = this.events[this.pending];
      const starts = new Map([[event.api_key_id, this.keys.get(event.api_key_id) ?? null]]);
      const folded = foldBatch([{ event, at: { partition: 0, offset: this.pending } }], starts, this.records);
      for (const [id, key] of folded.changed) this.keys.set(id, key);
      for (const entry of folded.history) this.history.set(entry._id, entry);
      for (const [id, record] of folded.records) this.records.set(id, record);
      for (const outcome of folded.outcomes) this.outcomes.set(outcome._id, outcome);
    }
  }

  idempotencyRecord(id: string) {
    return Promise.resolve(this.records.get(id) ?? null);
  }

  eventOutcome(eventId: string) {
    return Promise.resolve(this.outcomes.get(eventId) ?? null);
  }

  claimIdempotency(claim: IdempotencyClaimDocument) {
    const held = this.claims.get(claim._id) ?? claim;
    this.claims.set(claim._id, held);
    return Promise.resolve(held);
  }

  findAs(id: number) {
    return this.find(id);
  }

  find(id: number) {
    return Promise.resolve(this.keys.get(id) ?? null);
  }

  liveKeyIdsOf(userId: number) {
    const live = [...this.keys.values()].filter((key) => key.user_id === userId && key.deleted_at === null);
    return Promise.resolve(live.map((key) => key.id));
  }

  allocate() {
    return Promise.resolve(this.nextId++);
  }

  record(event: ApiKeyEvent): Promise<Recorded> {
    this.events.push(event);
    const position = { topic: 't', partition: 0, offset: this.events.length - 1 };
    if (this.projectionLags) return Promise.resolve({ position, visible: false, receipt: null });
    this.project();
    return Promise.resolve({ position, visible: true, receipt: this.receiptAt(event.api_key_id, position.offset) });
  }

  /** A state position derived from the event's offset, as marks would give it. */
  receiptAt(_keyId: number, offset: number) {
    return `5:${offset * 10}`;
  }

  receiptOfEarlier(keyId: number, offset: number | undefined) {
    return Promise.resolve(offset === undefined ? null : this.receiptAt(keyId, offset));
  }
}

/** Bounds of a request with time to spare and its client still there. */
const open = () => ({ deadline: Date.now() + 60_000, signal: new AbortController().signal });
const meta = (id: string) => ({ event_id: id, occurred_at: '2024-01-15T11:00:00.000Z', correlation_id: 'c' });
const ALICE = { userId: 1, userEmail: 'alice@example.com', keyId: 7 };
const BOB = { userId: 2, userEmail: 'bob@example.com', keyId: null };

function setup({ maxKeys = 10 } = {}) {
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
  const flow = new CommandFlow(
    log as unknown as ApiKeyStates,
    log as unknown as ApiKeysReadModel,
    log as unknown as EventRecorder,
    new KeyLock(),
    log,
    { idempotencyWindowMs: 3_600_000, maxKeysPerUser: maxKeys },
  );
  return {
    log,
    create: new CreateApiKeyHandler(flow),
    update: new UpdateApiKeyHandler(flow),
    remove: new DeleteApiKeyHandler(flow),
  };
}

const request = (
  caller: Principal,
  correlationId: string,
  bounds: RequestBounds,
  conditions: RequestConditions = {},
) => ({
  caller,
  correlationId,
  bounds,
  conditions,
});
const put = (
  id: number,
  caller: Principal,
  changes: UpdateApiKeyCommand['changes'],
  correlationId: string,
  bounds: RequestBounds,
  conditions?: RequestConditions,
) => new UpdateApiKeyCommand(id, changes, request(caller, correlationId, bounds, conditions));
const del = (
  id: number,
  caller: Principal,
  correlationId: string,
  bounds: RequestBounds,
  conditions?: RequestConditions,
) => new DeleteApiKeyCommand(id, request(caller, correlationId, bounds, conditions));
const post = (caller: Principal, correlationId: string, bounds: RequestBounds, conditions?: RequestConditions) =>
  new CreateApiKeyCommand(
    { key_type: 'public', name: 'Widget', allowed_origins: ['https://app.example.com'] },
    request(caller, correlationId, bounds, conditions),
  );

describe('UpdateApiKeyHandler', () => {
  it('records exactly the changes and answers with the key as the projection left it', async () => {
    const { log, update } = setup();
    const result = await update.execute(put(7, ALICE, { name: 'Renamed' }, 'req-1', open()));
    expect(result).toEqual({
      kind: 'done',
      key: expect.objectContaining({ id: 7, name: 'Renamed', key_value: null }),
      version: 2,
      receipt: '5:10',
    });
    expect(log.events.at(-1)).toMatchObject({
      event_type: 'ApiKeyUpdated',
      correlation_id: 'req-1',
      data: { changes: { name: 'Renamed' } },
    });
  });

  it('refuses another user’s key as not found and records nothing', async () => {
    const { log, update } = setup();
    await expect(update.execute(put(7, BOB, { name: 'Hijack' }, 'r', open()))).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    await expect(update.execute(put(99, ALICE, { name: 'x' }, 'r', open()))).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    expect(log.events).toHaveLength(1);
  });

  it('says 202 with the event id, not stale data, when the projection does not catch up', async () => {
    const { log, update } = setup();
    log.projectionLags = true;
    const result = await update.execute(put(7, ALICE, { name: 'Later' }, 'r', open()));
    expect(result).toEqual({ kind: 'accepted', keyId: 7, eventId: log.events.at(-1)?.event_id });
  });
});

describe('DeleteApiKeyHandler', () => {
  it('revokes the key and answers with its last state', async () => {
    const { log, remove } = setup();
    const result = await remove.execute(del(7, ALICE, 'r', open()));
    expect(result).toMatchObject({ kind: 'done', key: { id: 7, name: 'Original' } });
    expect(log.keys.get(7)?.deleted_at).not.toBeNull();
  });

  it('answers not found to a second delete and records nothing more', async () => {
    const { log, remove } = setup();
    await remove.execute(del(7, ALICE, 'r', open()));
    await expect(remove.execute(del(7, ALICE, 'r', open()))).rejects.toBeInstanceOf(ApiKeyNotFoundError);
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
    await expect(remove.execute(del(7, ALICE, 'r', open()))).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    expect(log.keys.get(7)?.deleted_at).not.toBeNull();
  });
});

describe('CommandFlow', () => {
  it('runs the commands of one key one at a time, so a racing loser records nothing', async () => {
    const { log, update, remove } = setup();
    const outcomes = await Promise.allSettled([
      remove.execute(del(7, ALICE, 'r', open())),
      update.execute(put(7, ALICE, { name: 'Too late' }, 'r', open())),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(log.events.map((e) => e.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyDeleted']);
  });

  it('records nothing for a command whose client left while it waited its turn', async () => {
    const { log, update } = setup();
    const client = new AbortController();
    const bounds = { deadline: Date.now() + 60_000, signal: client.signal };
    client.abort();
    await expect(update.execute(put(7, ALICE, { name: 'x' }, 'r', bounds))).rejects.toBeInstanceOf(ClientGoneError);
    expect(log.events).toHaveLength(1);
  });

  it('records nothing and says so (503) for a command whose deadline passed before its turn', async () => {
    const { log, update } = setup();
    const bounds = { deadline: Date.now() - 1, signal: new AbortController().signal };
    await expect(update.execute(put(7, ALICE, { name: 'x' }, 'r', bounds))).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    expect(log.events).toHaveLength(1);
  });

  it('refuses at once, recording nothing, a command whose If-Match names another version', async () => {
    const { log, update } = setup();
    const stale = { ifMatch: { any: false as const, versions: [3] } };
    await expect(update.execute(put(7, ALICE, { name: 'x' }, 'r', open(), stale))).rejects.toMatchObject({
      code: 'precondition_failed',
      headers: { ETag: '"1"' },
    });
    expect(log.events).toHaveLength(1);
  });

  it('carries the version If-Match named into its event', async () => {
    const { log, update } = setup();
    const ifMatch = { any: false as const, versions: [1] };
    await update.execute(put(7, ALICE, { name: 'x' }, 'r', open(), { ifMatch }));
    expect(log.events.at(-1)).toMatchObject({ schema_version: 3, expected_version: 1, actor_key_id: 7 });
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
    await expect(update.execute(put(7, ALICE, { name: 'ours' }, 'r', open(), { ifMatch }))).rejects.toMatchObject({
      code: 'precondition_failed',
      headers: { ETag: '"2"' },
    });
    expect(log.keys.get(7)).toMatchObject({ name: 'theirs', version: 2 });
  });

  it('answers a retry with a used Idempotency-Key as the first attempt, appending nothing', async () => {
    const { log, update } = setup();
    const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64) };
    const first = await update.execute(put(7, ALICE, { name: 'once' }, 'r', open(), { idempotency }));
    await update.execute(put(7, ALICE, { name: 'later' }, 'r', open()));
    const again = await update.execute(put(7, ALICE, { name: 'once' }, 'r', open(), { idempotency }));
    // Its receipt too: the state position of the first attempt's event, not of the later write.
    expect(again).toEqual({ ...first, repeated: true });
    expect(again).toMatchObject({ receipt: '5:10' });
    expect(log.events.map((e) => e.event_type)).toEqual(['ApiKeyCreated', 'ApiKeyUpdated', 'ApiKeyUpdated']);
  });

  it('refuses an Idempotency-Key reused for a different request with 422, appending nothing', async () => {
    const { log, update } = setup();
    const idempotency = { key: 'retry-1', fingerprint: 'f'.repeat(64) };
    await update.execute(put(7, ALICE, { name: 'once' }, 'r', open(), { idempotency }));
    const other = { key: 'retry-1', fingerprint: 'e'.repeat(64) };
    await expect(
      update.execute(put(7, ALICE, { name: 'other' }, 'r', open(), { idempotency: other })),
    ).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(log.events).toHaveLength(2);
  });

  it('shows what a dry run would do and records nothing', async () => {
    const { log, update } = setup();
    const result = await update.execute(put(7, ALICE, { name: 'maybe' }, 'r', open(), { dryRun: true }));
    expect(result).toMatchObject({
      kind: 'dry_run',
      key: { name: 'maybe' },
      version: 2,
      event: { event_type: 'ApiKeyUpdated' },
    });
    expect(log.events).toHaveLength(1);
  });
});

describe('CreateApiKeyHandler', () => {
  it('shows the raw key once and records only its hash', async () => {
    const { log, create } = setup();
    const result = await create.execute(post(BOB, 'req-9', open()));
    if (result.kind !== 'done') throw new Error(`expected done, got ${result.kind}`);
    const { key } = result;
    expect(key).toMatchObject({ id: 41, key_type: 'public', name: 'Widget', allowed_assistants: [], user_id: 2 });
    expect(key.key_value).toMatch(/^vk_pub_/);
    expect(log.events.at(-1)).toMatchObject({ event_type: 'ApiKeyCreated', api_key_id: 41, correlation_id: 'req-9' });
    const recorded = JSON.stringify(log.events);
    expect(recorded).not.toContain(key.key_value);
    expect(recorded).toContain(hashSecret(key.key_value!));
  });

  it('refuses a key beyond the per-user cap, naming the cap, and records nothing', async () => {
    const { log, create } = setup({ maxKeys: 1 });
    await expect(create.execute(post(ALICE, 'r', open()))).rejects.toMatchObject({
      code: 'key_limit_reached',
      errors: ['a user may hold at most 1 live API keys'],
    });
    expect(log.events).toHaveLength(1);
  });

  it('answers with the folded event, secret included, when the projection has not caught up', async () => {
    const { log, create } = setup();
    log.projectionLags = true;
    const result = await create.execute(post(BOB, 'r', open()));
    expect(result).toMatchObject({ kind: 'accepted', keyId: 41, key: { id: 41, name: 'Widget' } });
    expect(result.kind === 'accepted' && result.key?.key_value).toMatch(/^vk_pub_/);
  });

  it('names the same key in every attempt with one Idempotency-Key, and the log keeps the first', async () => {
    const { log, create } = setup();
    log.projectionLags = true;
    const idempotency = { key: 'create-1', fingerprint: 'c'.repeat(64) };
    await create.execute(post(BOB, 'r', open(), { idempotency }));
    // The first attempt's event is in the log, not yet projected; the retry appends its own.
    log.projectionLags = false;
    const again = await create.execute(post(BOB, 'r', open(), { idempotency }));
    expect(log.events.slice(1).map((e) => e.api_key_id)).toEqual([41, 41]);
    expect(again).toMatchObject({ kind: 'done', repeated: true, key: { id: 41, key_value: null } });
  });
});

describe('an Idempotency-Key across keys', () => {
  it('refuses a key its user already used for a request on another key with 422, appending nothing', async () => {
    const { log, create, update } = setup();
    const created = await create.execute(
      post(ALICE, 'r', open(), { idempotency: { key: 'k', fingerprint: 'a'.repeat(64) } }),
    );
    expect(created).toMatchObject({ kind: 'done', key: { id: 41 } });
    const appended = log.events.length;
    await expect(
      update.execute(
        put(7, ALICE, { name: 'x' }, 'r', open(), { idempotency: { key: 'k', fingerprint: 'b'.repeat(64) } }),
      ),
    ).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(log.events).toHaveLength(appended);
  });
});

// The one path every command takes: the same retry, answered by the flow, not by any handler.
describe.each([
  ['create', (s: ReturnType<typeof setup>, c: RequestConditions) => s.create.execute(post(ALICE, 'r', open(), c))],
  [
    'update',
    (s: ReturnType<typeof setup>, c: RequestConditions) =>
      s.update.execute(put(7, ALICE, { name: 'once' }, 'r', open(), c)),
  ],
  ['delete', (s: ReturnType<typeof setup>, c: RequestConditions) => s.remove.execute(del(7, ALICE, 'r', open(), c))],
])('every command (%s) runs through the one flow', (_, run) => {
  it('answers a retry with a used Idempotency-Key as its first attempt, appending nothing more', async () => {
    const s = setup();
    const idempotency = { key: 'same-request', fingerprint: 'f'.repeat(64) };
    const first = await run(s, { idempotency });
    const appended = s.log.events.length;
    const again = await run(s, { idempotency });
    expect(again).toEqual({ ...first, repeated: true, key: { ...(first as { key: object }).key, key_value: null } });
    expect(s.log.events).toHaveLength(appended);
  });

  it('refuses the same Idempotency-Key for another request with 422, appending nothing', async () => {
    const s = setup();
    await run(s, { idempotency: { key: 'k', fingerprint: 'f'.repeat(64) } });
    const appended = s.log.events.length;
    await expect(run(s, { idempotency: { key: 'k', fingerprint: 'e'.repeat(64) } })).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    expect(s.log.events).toHaveLength(appended);
  });

  it('says 202 naming its event, not stale data, when the projection does not catch up', async () => {
    const s = setup();
    s.log.projectionLags = true;
    const result = await run(s, {});
    expect(result).toMatchObject({ kind: 'accepted', eventId: s.log.events.at(-1)?.event_id });
  });
});
