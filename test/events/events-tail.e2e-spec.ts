import { createKey, deleteKey, eventsOfKey, updateKey } from '../support/keys';
import { stackEnv, uniqueName, useService } from '../support/service';
import { CliProcess, ensureCliBuilt } from '../support/cli-process';

describe('the reference consumer (npm run cli -- events tail)', () => {
  const fixture = useService('tail', ['alice']);
  const running: CliProcess[] = [];

  const tail = (args: string[], topic = fixture.iso.topic) => {
    const { brokers } = stackEnv();
    const env = { ...process.env, KAFKA_BROKERS: brokers, KAFKA_EVENTS_TOPIC: topic, KAFKA_CLIENT_ID: 'e2e-tail' };
    const cli = new CliProcess(['events', 'tail', ...args], env);
    running.push(cli);
    return cli;
  };

  /** What the tail must print for these records: each event with its place in the log, one per line. */
  const linesOf = (records: Awaited<ReturnType<typeof eventsOfKey>>) =>
    records.map((r) => ({ partition: r.partition, offset: r.offset, event: r.json }));
  const printed = (cli: CliProcess) => cli.lines.map((line) => JSON.parse(line) as unknown);

  beforeAll(async () => {
    ensureCliBuilt();
    // Warm-up: the launcher rebuilds dist here if the sources changed; a refused command costs nothing else.
    const usage = await tail(['--key', 'nope']).ended();
    if (usage.code !== 64) throw new Error(`the CLI accepted --key nope (exit ${usage.code})`);
  }, 180_000);
  // Ctrl-C, not SIGKILL: the launcher passes it on to the command, which a SIGKILL would orphan.
  afterAll(() => Promise.all(running.filter((cli) => !cli.exit).map((cli) => cli.interrupt('SIGINT'))));

  it('prints exactly one key’s events from the beginning, in log order, then stops on Ctrl-C with exit 0', async () => {
    const { service, alice } = fixture;
    const key = await createKey(service, alice.key, { name: 'Tailed', allowed_origins: ['https://a.example'] });
    const other = await createKey(service, alice.key, { name: 'Other' });
    expect((await updateKey(service, alice.key, key.id, { name: 'Tailed again' })).status).toBe(200);
    expect((await updateKey(service, alice.key, other.id, { name: 'Other again' })).status).toBe(200);
    expect((await deleteKey(service, alice.key, key.id)).status).toBe(200);
    const expected = linesOf(await eventsOfKey(fixture.iso.topic, key.id));
    expect(expected).toHaveLength(3);

    const cli = tail(['--from-beginning', '--key', String(key.id)]);
    // "caught up": it has read every partition up to where it ended when the command started.
    await cli.waitForNote('caught up');
    expect(printed(cli)).toEqual(expected);
    expect(cli.lines.map((line) => JSON.parse(line).event.event_type)).toEqual([
      'ApiKeyCreated',
      'ApiKeyUpdated',
      'ApiKeyDeleted',
    ]);

    expect(await cli.interrupt('SIGINT')).toEqual({ code: 0, signal: null });
    expect(printed(cli)).toEqual(expected);
  });

  it('starts at the end without --from-beginning, and prints what is appended after it started', async () => {
    const { service, alice } = fixture;
    const before = await createKey(service, alice.key, { name: 'Before the tail' });
    const cli = tail([]);
    await cli.waitForNote('caught up');
    const after = await createKey(service, alice.key, { name: 'After the tail' });
    await updateKey(service, alice.key, after.id, { allowed_assistants: ['9'] });
    const expected = linesOf(await eventsOfKey(fixture.iso.topic, after.id));
    await cli.waitFor('the new key’s two events', () => cli.lines.length >= 2);
    expect(printed(cli)).toEqual(expected);
    expect(cli.stdout).not.toContain(`"api_key_id":${before.id},`);
    expect(await cli.interrupt('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('says so and exits 69 when the topic does not exist, printing nothing on stdout', async () => {
    const cli = tail(['--from-beginning'], `e2e.${uniqueName('missing')}`);
    expect(await cli.ended()).toEqual({ code: 69, signal: null });
    expect(cli.stdout).toBe('');
    expect(cli.notes.map((note) => note.msg)).toContainEqual(expect.stringMatching(/does not exist/));
  });
});
