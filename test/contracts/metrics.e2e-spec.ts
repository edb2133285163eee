import { listKeys, updateKey } from '../support/keys';
import { waitForProjection } from '../support/projection';
import { useService, waitUntil } from '../support/service';
import { produceRaw } from '../support/topic';

/** One sample's value from Prometheus text: `name{labels} value`, labels given in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  const suite = useService('metrics', ['alice'], { RATE_LIMIT_PER_KEY: '30', RATE_LIMIT_WINDOW_SECONDS: '3600' });
  const scrape = async () => {
    const reply = await fetch(`${suite.service.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
    return reply.text();
  };

  it('counts requests by route template, appended events and read-your-writes waits', async () => {
    const { alice } = suite;
    for (let i = 0; i < 3; i++)
      expect((await updateKey(suite.service, alice.key, alice.keyId, { name: `m${i}` })).status).toBe(200);
    const text = await scrape();
    const route = { method: 'PUT', route: '/api/v1/api_keys/:id', status: '200' };
    expect(sample(text, 'api_keys_http_request_duration_seconds_count', route)).toBe(3);
    expect(sample(text, 'api_keys_events_appended_total', { type: 'ApiKeyUpdated' })).toBe(3);
    expect(sample(text, 'api_keys_events_appended_total', { type: 'ApiKeyCreated' })).toBe(1);
    expect(sample(text, 'api_keys_read_your_writes_wait_seconds_count', { outcome: 'visible' })).toBe(4);
    expect(sample(text, 'api_keys_projector_batch_records_count')).toBeGreaterThan(0);
    expect(text).not.toMatch(/route="\/api\/v1\/api_keys\/\d/);
  });

  it('shows Kafka and MongoDB up and each partition’s projection caught up', async () => {
    await waitForProjection(suite.iso.database, suite.iso.topic);
    const text = await scrape();
    expect(sample(text, 'api_keys_dependency_up', { dependency: 'kafka' })).toBe(1);
    expect(sample(text, 'api_keys_dependency_up', { dependency: 'mongodb' })).toBe(1);
    for (const partition of ['0', '1', '2']) {
      expect([partition, sample(text, 'api_keys_projection_lag_records', { partition })]).toEqual([partition, 0]);
    }
  });

  it('counts dead letters and requests refused by a rate limit', async () => {
    await produceRaw(suite.iso.topic, { key: '1', value: '{not json' });
    for (let i = 0; i < 31; i++) await listKeys(suite.service, suite.alice.key);
    await waitUntil(
      async () => sample(await scrape(), 'api_keys_dead_letters_total') === 1,
      20000,
      'a dead letter counted',
    );
    expect(sample(await scrape(), 'api_keys_rate_limited_total', { scope: 'key' })).toBeGreaterThanOrEqual(1);
  });
});
