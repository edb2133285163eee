import { createKey, eventsOfKey, getKey, updateKey } from '../support/keys';
import { waitForProjection } from '../support/projection';
import { useService } from '../support/service';
import { readTopic } from '../support/topic';

// REST answers times in whole seconds, the events and states in milliseconds (docs/events.md,
// "Times"). A consumer joins them by truncating the event's time to the second: this holds them to it.

/** `2024-01-15T11:00:11.202Z` -> `2024-01-15T11:00:11Z`: drop the fraction, never round. */
const toSecond = (time: string) => time.replace(/\.\d+Z$/, 'Z');

describe('times: REST in whole seconds, events and states in milliseconds', () => {
  const fixture = useService('times', ['alice']);

  it("answers created_at and updated_at as the events' occurred_at truncated to the second", async () => {
    const { service, alice, iso } = fixture;
    const created = await createKey(service, alice.key, { name: 'Timed' });
    const updated = await updateKey(service, alice.key, created.id, { name: 'Timed again' });
    expect(updated.status).toBe(200);
    const [creation] = await eventsOfKey(iso.topic, created.id, 'ApiKeyCreated');
    const [update] = await eventsOfKey(iso.topic, created.id, 'ApiKeyUpdated');
    // Events: milliseconds, always three digits.
    for (const event of [creation, update])
      expect(event.json.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // REST: whole seconds, equal to the event's time truncated.
    expect(created.created_at).toBe(toSecond(creation.json.occurred_at));
    expect(created.updated_at).toBe(toSecond(creation.json.occurred_at));
    expect(updated.body.data.created_at).toBe(toSecond(creation.json.occurred_at));
    expect(updated.body.data.updated_at).toBe(toSecond(update.json.occurred_at));
    const read = await getKey(service, alice.key, created.id);
    expect(read.body.data.updated_at).toBe(toSecond(update.json.occurred_at));
    // The state topic has the event's times unchanged.
    await waitForProjection(iso.database, iso.topic);
    const state = (await readTopic(`${iso.topic}.state`)).filter((r) => r.key === String(created.id)).at(-1)!;
    expect(state.json).toMatchObject({
      created_at: creation.json.occurred_at,
      updated_at: update.json.occurred_at,
    });
    expect(state.headers.ce_time).toBe(update.json.occurred_at);
  });
});
