import { CliRun, ensureCliBuilt, runCli } from '../support/cli-process';
import { call, expectErrorEnvelope } from '../support/http';
import { API_KEYS_PATH, ApiKeyData, eventsOfKey, getKey, listKeys, sha256Hex } from '../support/keys';
import { RunningService, isolatedEnv, isolation, startService, testConfig, uniqueName } from '../support/service';
import { readTopic } from '../support/topic';

describe('the bootstrap command (npm run cli -- bootstrap --email)', () => {
  const iso = isolation('cli');
  let service: RunningService;

  const run = (args: string[]): Promise<CliRun> =>
    runCli(args, { ...process.env, ...isolatedEnv(iso), LOG_LEVEL: 'info' });

  /** The one JSON line a successful run prints, parsed. */
  const createdBodyOf = (result: CliRun) => {
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    return JSON.parse(lines[0]) as { status: { code: number; message: string }; data: ApiKeyData };
  };

  beforeAll(async () => {
    ensureCliBuilt();
    service = await startService(testConfig(iso));
    // Warm-up: the launcher rebuilds dist here if the sources changed, so the tests below time only the command.
    const usage = await run([]);
    if (usage.code === 0) throw new Error('the CLI accepted no arguments');
  }, 180_000);
  afterAll(() => service?.close());

  describe('for a new email', () => {
    const email = `${uniqueName('operator')}@example.com`;
    let first: { status: { code: number; message: string }; data: ApiKeyData };
    let firstRun: CliRun;

    beforeAll(async () => {
      firstRun = await run(['bootstrap', '--email', email]);
      first = createdBodyOf(firstRun);
    });

    it('prints exactly one JSON line: the 201 create body, key_value included, shaped like POST’s', async () => {
      expect(first.status).toEqual({ code: 201, message: expect.any(String) });
      expect(first.data).toEqual({
        id: expect.any(Number),
        key_type: 'private',
        name: expect.any(String),
        key_value: expect.stringMatching(/^vk_priv_[0-9A-Za-z]{49}$/),
        allowed_origins: [],
        allowed_assistants: [],
        expires_at: null,
        enabled: true,
        meta: {},
        transient_assistant: false,
        user_id: expect.any(Number),
        user_email: email,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        updated_at: first.data.created_at,
        previous_key_expires_at: null,
      });
      const reply = await call(service.url, 'POST', API_KEYS_PATH, {
        key: first.data.key_value!,
        body: { api_key: { name: 'Via POST', key_type: 'private' } },
      });
      expect(reply.status).toBe(201);
      expect(Object.keys(first.data)).toEqual(Object.keys(reply.body.data));
      expect(Object.keys(first.status)).toEqual(Object.keys(reply.body.status));
    });

    it('keeps its logs off stdout, and the key out of its logs', () => {
      expect(firstRun.stderr).not.toContain(first.data.key_value);
      expect(firstRun.stderr).not.toContain(sha256Hex(first.data.key_value!));
    });

    it('creates a key that authenticates against the running service at once', async () => {
      const reply = await getKey(service, first.data.key_value!, first.data.id);
      expect(reply.status).toBe(200);
      expect(reply.body.data).toEqual({ ...first.data, key_value: null });
      const bearer = await call(service.url, 'GET', API_KEYS_PATH, {
        headers: { Authorization: `Bearer ${first.data.key_value}` },
      });
      expect(bearer.status).toBe(200);
    });

    it('goes through the event log like POST: one ApiKeyCreated with the hash, never the key', async () => {
      const records = await eventsOfKey(iso.topic, first.data.id);
      expect(records).toHaveLength(1);
      expect(records[0].key).toBe(String(first.data.id));
      expect(records[0].json).toMatchObject({
        event_type: 'ApiKeyCreated',
        api_key_id: first.data.id,
        user_id: first.data.user_id,
        data: { key_type: 'private', key_hash: sha256Hex(first.data.key_value!), user_email: email },
      });
      expect(records[0].value).not.toContain(first.data.key_value);
    });

    it('gives the same email the same user_id and a new key on a second run, both usable', async () => {
      const second = createdBodyOf(await run(['bootstrap', '--email', email]));
      expect(second.status.code).toBe(201);
      expect(second.data.user_id).toBe(first.data.user_id);
      expect(second.data.id).not.toBe(first.data.id);
      expect(second.data.key_value).not.toBe(first.data.key_value);
      const list = await listKeys(service, second.data.key_value!);
      expect(list.status).toBe(200);
      const ids = list.body.data.map((k: ApiKeyData) => k.id);
      expect(ids).toEqual(expect.arrayContaining([first.data.id, second.data.id]));
      expect(ids.indexOf(second.data.id)).toBeGreaterThan(ids.indexOf(first.data.id));
      expect((await listKeys(service, first.data.key_value!)).status).toBe(200);
    });

    it('treats the email case-insensitively and ignores surrounding spaces', async () => {
      const again = createdBodyOf(await run(['bootstrap', '--email', `  ${email.toUpperCase()} `]));
      expect(again.data.user_id).toBe(first.data.user_id);
      expect(again.data.user_email).toBe(email);
    });
  });

  it('gives two different emails two different users who cannot see each other’s keys', async () => {
    const [a, b] = await Promise.all([
      run(['bootstrap', '--email', `${uniqueName('a')}@example.com`]),
      run(['bootstrap', '--email', `${uniqueName('b')}@example.com`]),
    ]);
    const keyA = createdBodyOf(a).data;
    const keyB = createdBodyOf(b).data;
    expect(keyA.user_id).not.toBe(keyB.user_id);
    expect(keyA.id).not.toBe(keyB.id);
    expectErrorEnvelope(await getKey(service, keyA.key_value!, keyB.id), 404);
  });

  describe('refused invocations: non-zero exit, nothing on stdout, no event', () => {
    it.each([
      ['an email without @', ['bootstrap', '--email', 'not-an-email']],
      ['an empty email', ['bootstrap', '--email', '']],
      ['no --email', ['bootstrap']],
      ['an unknown command', ['destroy', '--email', 'ok@example.com']],
      ['an unknown option', ['bootstrap', '--email', 'ok@example.com', '--admin']],
    ])('refuses %s', async (_, args) => {
      const before = (await readTopic(iso.topic)).length;
      const result = await run(args);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.length).toBeGreaterThan(0);
      expect((await readTopic(iso.topic)).length).toBe(before);
    });
  });
});
