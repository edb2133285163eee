import { ApiKeyEvent, evolve } from '@app/domain';
import { hashSecret } from '../auth/api-key-secret';
import { EventRecorder, Recorded } from '../event-log/event-recorder';
import { ApiKeyStates } from '../read-model/api-key-states';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { IdAllocator } from '../read-model/id-allocator';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyHandler } from './create-api-key.handler';

function setup(visible: boolean, liveKeys = 0) {
  const events: ApiKeyEvent[] = [];
  const recorder: Pick<EventRecorder, 'record'> = {
    record: (event) => {
      events.push(event);
      return Promise.resolve<Recorded>({ position: { topic: 't', partition: 0, offset: events.length - 1 }, visible });
    },
  };
  const states: Pick<ApiKeyStates, 'findOwned' | 'liveKeyIdsOf'> = {
    liveKeyIdsOf: () => Promise.resolve(Array.from({ length: liveKeys }, (_, i) => i + 1)),
    findOwned: (id) => {
      const state = events.reduce(evolve, null);
      return Promise.resolve(state && state.id === id ? { ...state, applied: { partition: 0, offset: 0 } } : null);
    },
  };
  const ids: Pick<IdAllocator, 'allocate'> = { allocate: () => Promise.resolve(41) };
  const readModel = {} as ApiKeysReadModel; // no Idempotency-Key here, so never read
  const handler = new CreateApiKeyHandler(
    ids as IdAllocator,
    states as ApiKeyStates,
    recorder as EventRecorder,
    readModel,
    {
      maxKeysPerUser: 3,
      keyQueueLimit: 4,
      idempotencyWindowMs: 3_600_000,
    },
  );
  return { events, handler };
}

const command = new CreateApiKeyCommand(
  { userId: 3, email: 'u@example.com' },
  { key_type: 'public', name: 'Widget', allowed_origins: ['https://app.example.com'] },
  'req-9',
  { deadline: Date.now() + 60_000, signal: new AbortController().signal },
);

describe('CreateApiKeyHandler', () => {
  it('shows the raw key once and records only its hash', async () => {
    const { events, handler } = setup(true);
    const { key, visible } = await handler.execute(command);
    expect(visible).toBe(true);
    expect(key).toMatchObject({ id: 41, key_type: 'public', name: 'Widget', allowed_assistants: [], user_id: 3 });
    expect(key.key_value).toMatch(/^vk_pub_/);
    expect(events).toEqual([
      expect.objectContaining({ event_type: 'ApiKeyCreated', api_key_id: 41, correlation_id: 'req-9' }),
    ]);
    const recorded = JSON.stringify(events);
    expect(recorded).not.toContain(key.key_value);
    expect(recorded).toContain(hashSecret(key.key_value!));
  });

  it('refuses a key beyond the per-user cap, naming the cap, and records nothing', async () => {
    const { events, handler } = setup(true, 3);
    await expect(handler.execute(command)).rejects.toMatchObject({
      code: 'key_limit_reached',
      errors: ['a user may hold at most 3 live API keys'],
    });
    expect(events).toEqual([]);
  });

  it('answers with the folded event when the projection has not caught up', async () => {
    const { handler } = setup(false);
    const { key, visible } = await handler.execute(command);
    expect(visible).toBe(false);
    expect(key).toMatchObject({ id: 41, name: 'Widget', transient_assistant: false });
    expect(key.key_value).toMatch(/^vk_pub_/);
  });
});
