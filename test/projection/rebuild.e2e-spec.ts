import { rebuild } from '../../apps/api-keys/src/rebuild/rebuild';
import { createKey, deleteKey, updateKey } from '../support/keys';
import { waitForProjection } from '../support/projection';
import { uniqueName, useService } from '../support/service';
import { CliProcess, ensureCliBuilt } from '../support/cli-process';
import { readCollection } from '../support/store';

describe('rebuilding the read model with the operators’ command', () => {
  const suite = useService('rebuild', ['alice', 'bob']);
  const database = () => `rebuilt_${uniqueName('db').replace(/-/g, '_')}`;
  const lines: string[] = [];

  beforeAll(async () => {
    const { service, alice, bob } = suite;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createKey(service, i % 2 ? alice.key : bob.key, { name: `k${i}` }));
    await updateKey(service, alice.key, made[1].id, { allowed_assistants: ['a'] });
    await deleteKey(service, bob.key, made[2].id);
    await waitForProjection(suite.iso.database, suite.iso.topic);
  });

  it('replays the whole topic into a fresh database, reporting progress, and verifies it equal to the live one', async () => {
    const target = database();
    const result = await rebuild(suite.service.config, {
      database: target,
      verify: true,
      report: (l) => lines.push(l),
    });
    expect(result.events).toBe(2 + 5 + 1 + 1);
    expect(result.eventsPerSecond).toBeGreaterThan(0);
    expect(result.documents).toMatchObject({ api_keys: 7, api_key_hashes: 7, user_emails: 2 });
    for (const [name, counts] of Object.entries(result.verified ?? {})) {
      expect([name, counts.different, counts.onlyLive, counts.onlyRebuilt]).toEqual([name, 0, 0, 0]);
      expect([name, counts.equal > 0]).toEqual([name, true]);
    }
    expect(lines.at(-1)).toMatch(/^rebuild: 9\/9 events, \d+ events\/s$/);
    expect(await readCollection(target, 'api_keys')).toEqual(await readCollection(suite.iso.database, 'api_keys'));
  });

  it('refuses a database that already holds read models', async () => {
    await expect(
      rebuild(suite.service.config, { database: suite.iso.database, verify: false, report: () => undefined }),
    ).rejects.toThrow(/already holds/);
  });

  it('is what `npm run cli -- rebuild --verify` runs, printing the result and how to switch over', async () => {
    ensureCliBuilt();
    const target = database();
    const cli = new CliProcess(['rebuild', '--database', target, '--verify'], {
      ...process.env,
      MONGODB_URI: suite.service.config.mongodbUri,
      KAFKA_BROKERS: suite.service.config.kafka.brokers.join(','),
      KAFKA_EVENTS_TOPIC: suite.iso.topic,
      KAFKA_CONSUMER_GROUP: suite.iso.group,
      LOG_LEVEL: 'warn',
    });
    expect(await cli.ended()).toEqual({ code: 0, signal: null });
    const result = JSON.parse(cli.lines.at(-1)!) as { database: string; switchOver: Record<string, string> };
    expect(result.database).toBe(target);
    expect(result.switchOver.MONGODB_URI).toMatch(new RegExp(`/${target}$`));
    expect(result.switchOver.KAFKA_CONSUMER_GROUP).toBe(`${suite.iso.group}.rebuild.${target}`);
    expect(cli.stderr).toMatch(/rebuild: 9\/9 events/);
  });
});
