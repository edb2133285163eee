import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { API_KEY_CREATED } from '@app/contracts';
import { newSecret } from '@app/access';
import { CommandRecorder, RecordedCommand } from '../support/command-recorder';
import { Reply, expectErrorEnvelope } from '../support/http';
import { createKey, getKey, listKeys, sha256Hex } from '../support/keys';
import { waitForProjection } from '../support/projection';
import { RunningService, User, closeAll, isolation, newUser, startService, testConfig } from '../support/service';
import { produceRaw } from '../support/topic';

// Keys carry a checksum so that secret scanners match them with almost no false positives and a
// mistyped key is refused before any lookup. These suites check what the README promises, on
// the real stack, with the store behind a relay that records every command the service sends.

/** The regex for secret scanners, as the README publishes it (the one fenced `text` block that starts with \bvk_). */
function publishedKeyRegex(): RegExp {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const source = /```text\n(\\bvk_[^\n]+)\n```/.exec(readme)?.[1];
  if (!source) throw new Error('README.md publishes no regex for our keys');
  return new RegExp(source);
}

/** The check the README tells anyone to make offline, written here apart from the service's code. */
function checksumHolds(key: string): boolean {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let rest = crc32(Buffer.from(key.slice(0, -6), 'utf8'));
  let base62 = '';
  for (; rest > 0; rest = Math.floor(rest / 62)) base62 = digits[rest % 62] + base62;
  return key.slice(-6) === base62.padStart(6, '0');
}

/** `key` with its last character replaced by another base62 digit: a typo, or a guess. */
const lastCharacterChanged = (key: string) => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');

const CHECKSUM_WRONG = ["the API key's checksum is wrong"];
const KEY_COLLECTIONS = ['api_key_hashes', 'api_keys'];
const keyLookups = (commands: readonly RecordedCommand[]) =>
  commands.filter((c) => KEY_COLLECTIONS.includes(c.collection)).map((c) => `${c.name} ${c.collection}`);
const remaining = (reply: Reply) => reply.headers.get('x-ratelimit-remaining');

describe('checksummed API keys', () => {
  const iso = isolation('checksum');
  const recorder = new CommandRecorder();
  let service: RunningService;
  let alice: User;

  beforeAll(async () => {
    await recorder.start();
    service = await startService(testConfig(iso, { MONGODB_URI: recorder.uri(iso.database) }));
    alice = await newUser(service);
  });
  afterAll(async () => {
    await closeAll([service]);
    await recorder.stop();
  });

  it('issues keys, by bootstrap and by POST, that match the published regex, check out offline and work', async () => {
    const regex = publishedKeyRegex();
    const created = await createKey(service, alice.key, { name: 'Checksummed' });
    const widget = await createKey(service, alice.key, { name: 'Widget', key_type: 'public' });
    for (const key of [alice.key, created.key_value!, widget.key_value!]) {
      expect(key).toMatch(regex);
      expect(checksumHolds(key)).toBe(true);
      // In running text too, where scanners find leaks.
      expect(`export KEY="${key}"`.match(new RegExp(regex.source, 'g'))).toEqual([key]);
    }
    expect((await listKeys(service, alice.key)).status).toBe(200);
    expect((await getKey(service, created.key_value!, created.id)).status).toBe(200);
  });

  it('refuses a key with its last character changed with 401 naming the checksum, reading no key from the store', async () => {
    const created = await createKey(service, alice.key, { name: 'Mistyped' });
    const mistyped = lastCharacterChanged(created.key_value!);
    expect(checksumHolds(mistyped)).toBe(false);

    let refused!: Reply;
    const commands = await recorder.during(async () => (refused = await listKeys(service, mistyped)));
    expectErrorEnvelope(refused, 401);
    expect(refused.body.errors).toEqual(CHECKSUM_WRONG);
    expect(keyLookups(commands)).toEqual([]);

    // The recorder does see a lookup when there is one: a never-issued key whose checksum holds
    // is looked up by its hash (and refused as unknown).
    let unknown!: Reply;
    const lookedUp = await recorder.during(async () => (unknown = await listKeys(service, newSecret('private').value)));
    expectErrorEnvelope(unknown, 401);
    expect(unknown.body.errors).toEqual(['the API key is unknown or revoked']);
    expect(keyLookups(lookedUp)).toContain('find api_key_hashes');

    expect((await getKey(service, created.key_value!, created.id)).status).toBe(200);
  });

  it('still accepts a key issued before checksums (vk_priv_ and 43 base64url characters)', async () => {
    const legacy = `vk_priv_${randomBytes(32).toString('base64url')}`;
    expect(legacy).not.toMatch(publishedKeyRegex());
    // Its creation event, as an earlier version of the service appended it (ids of this suite's
    // database stay far below this one).
    const id = 1_000_000;
    const creation = {
      event_id: randomUUID(),
      event_type: API_KEY_CREATED,
      schema_version: 1,
      api_key_id: id,
      user_id: alice.userId,
      occurred_at: new Date().toISOString(),
      correlation_id: 'issued-before-checksums',
      data: {
        key_type: 'private',
        name: 'Issued before checksums',
        key_hash: sha256Hex(legacy),
        allowed_origins: [],
        allowed_assistants: [],
        transient_assistant: false,
        user_email: alice.email,
      },
    };
    // A version-1 record, which carries the first fields only (so no ApiKeyCreated of today's shape).
    await produceRaw(iso.topic, { key: String(id), value: JSON.stringify(creation) });
    await waitForProjection(iso.database, iso.topic);

    const reply = await getKey(service, legacy, id);
    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ id, name: 'Issued before checksums', user_id: alice.userId });
    expect((await listKeys(service, legacy)).body.data.map((k: { id: number }) => k.id)).toContain(alice.keyId);
  });
});

describe('wrong checksums and the failed-authentication budget', () => {
  const iso = isolation('checksum-budget');
  const recorder = new CommandRecorder();
  let service: RunningService;
  let alice: User;

  beforeAll(async () => {
    await recorder.start();
    service = await startService(
      testConfig(iso, {
        MONGODB_URI: recorder.uri(iso.database),
        AUTH_FAILURES_PER_ADDRESS: '3',
        RATE_LIMIT_WINDOW_SECONDS: '3600',
      }),
    );
    alice = await newUser(service);
  });
  afterAll(async () => {
    await closeAll([service]);
    await recorder.stop();
  });

  it('spends the address’s budget on each wrong checksum, then refuses with 429 before any lookup', async () => {
    const created = await createKey(service, alice.key, { name: 'Typed badly' });
    const failures: Reply[] = [];
    for (let i = 0; i < 3; i++) failures.push(await listKeys(service, lastCharacterChanged(created.key_value!)));
    for (const failure of failures) {
      expectErrorEnvelope(failure, 401);
      expect(failure.body.errors).toEqual(CHECKSUM_WRONG);
    }
    expect(failures.map(remaining)).toEqual(['2', '1', '0']);

    // Budget spent: a key that would need a lookup gets none.
    let refused!: Reply;
    const commands = await recorder.during(async () => (refused = await listKeys(service, newSecret('private').value)));
    expectErrorEnvelope(refused, 429);
    expect(refused.body.errors).toEqual(['too many failed authentications from this address']);
    expect(keyLookups(commands)).toEqual([]);
    // A key this instance already knows to be good still passes.
    expect((await listKeys(service, created.key_value!)).status).toBe(200);
  });
});
