import { Reply, call } from '../support/http';
import { API_KEYS_PATH, keyPath } from '../support/keys';
import { useService, waitUntil } from '../support/service';
import { readTopic } from '../support/topic';
import { RunningVerifier, startVerifier, untilCode, verdict } from '../support/verifier';

/** `<partition>:<offset>` of a write's X-State-Position, which every write answered 200/201 carries. */
const receiptOf = (reply: Reply): { partition: number; offset: number } => {
  const header = reply.headers.get('x-state-position');
  if (!header || !/^\d+:\d+$/.test(header)) throw new Error(`X-State-Position is ${header} (status ${reply.status})`);
  const [partition, offset] = header.split(':').map(Number);
  return { partition, offset };
};

describe('revocation receipts and propagation to the verifiers', () => {
  const suite = useService('verifier-receipts', ['alice', 'bob'] as const, { VERIFIER_HEARTBEAT_TIMEOUT_MS: '10000' });
  const stateTopic = () => `${suite.iso.topic}.state`;
  const running: RunningVerifier[] = [];
  afterEach(async () => {
    for (const v of running.splice(0)) await v.close();
  });
  const write = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(suite.service.url, method, path, { key: suite.alice.key, body, headers });

  /** The key's state records on the state topic now: partition, offsets, and what each says. */
  const stateRecords = async (id: number) => (await readTopic(stateTopic())).filter((r) => r.key === String(id));

  it('answers each write kind with X-State-Position at or after the record it put on the state topic', async () => {
    const created = await write('POST', API_KEYS_PATH, { api_key: { name: 'Receipts', key_type: 'private' } });
    expect(created.status).toBe(201);
    const id = created.body.data.id as number;
    const updated = await write('PUT', keyPath(id), { api_key: { name: 'Renamed' } });
    const rolled = await write('POST', `${keyPath(id)}/roll`);
    const deleted = await write('DELETE', keyPath(id));
    const replies = { created, updated, rolled, deleted };
    expect([created.status, updated.status, rolled.status, deleted.status]).toEqual([201, 200, 200, 200]);

    const records = await stateRecords(id);
    // The record each write made: versions 1, 2 and 3, the revoked state (4), then the tombstone.
    const made = {
      created: records.find((r) => r.json?.version === 1)!,
      updated: records.find((r) => r.json?.version === 2)!,
      rolled: records.find((r) => r.json?.version === 3)!,
      deleted: records.find((r) => r.value === null)!,
    };
    let before = -1;
    for (const [kind, reply] of Object.entries(replies)) {
      const receipt = receiptOf(reply);
      const record = made[kind as keyof typeof made];
      expect([kind, receipt.partition]).toEqual([kind, record.partition]);
      expect([kind, receipt.offset >= record.offset]).toEqual([kind, true]);
      // Each write's receipt is later than the one before: it names its own record, not an older one.
      expect([kind, receipt.offset > before]).toEqual([kind, true]);
      before = receipt.offset;
    }
    // The delete's covers the tombstone, which comes after the revoked state.
    expect(receiptOf(deleted).offset).toBeGreaterThanOrEqual(made.deleted.offset);
  });

  it('repeats the first attempt’s X-State-Position on an idempotent retry, after later writes too', async () => {
    const created = await write('POST', API_KEYS_PATH, { api_key: { name: 'Retried', key_type: 'private' } });
    const id = created.body.data.id as number;
    const guarded = { 'Idempotency-Key': `receipt-retry-${id}` };
    const first = await write('PUT', keyPath(id), { api_key: { name: 'Once' } }, guarded);
    expect(first.status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await write('PUT', keyPath(id), { api_key: { name: `later ${i}` } })).status).toBe(200);
    const retry = await write('PUT', keyPath(id), { api_key: { name: 'Once' } }, guarded);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('x-state-position')).toBe(first.headers.get('x-state-position'));
    const version2 = (await stateRecords(id)).find((r) => r.json?.version === 2)!;
    expect(receiptOf(retry).offset).toBeGreaterThanOrEqual(version2.offset);
  });

  it('answers NOT_FOUND at once for a DELETE’s receipt sent as min_position', async () => {
    const verifier = await startVerifier(suite.iso, { VERIFIER_MIN_POSITION_WAIT_MS: '5000' });
    running.push(verifier);
    const created = await write('POST', API_KEYS_PATH, { api_key: { name: 'Revoked soon', key_type: 'private' } });
    const secret = created.body.data.key_value as string;
    await untilCode(verifier, { key: secret }, 'VALID');
    const deleted = await write('DELETE', keyPath(created.body.data.id));
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get('x-state-position')).toMatch(/^\d+:\d+$/);
    // No polling: the first answer given for that position already knows of the revocation.
    const answer = await verdict(verifier, { key: secret, min_position: deleted.headers.get('x-state-position') });
    expect(answer).toEqual({ valid: false, code: 'NOT_FOUND', key: null, matched: null });
  });

  it('tells which verifiers applied a revocation: not all while one stopped a moment ago, still counted', async () => {
    const [staying, stopping] = [await startVerifier(suite.iso), await startVerifier(suite.iso)];
    running.push(staying, stopping);
    const instanceOf = async (v: RunningVerifier) =>
      ((await (await fetch(`${v.url}/health/live`)).json()) as any).data.instance;
    const [stayingId, stoppingId] = [await instanceOf(staying), await instanceOf(stopping)];
    const created = await write('POST', API_KEYS_PATH, { api_key: { name: 'Propagated', key_type: 'private' } });
    const id = created.body.data.id as number;
    const propagation = async () => {
      const reply = await call(suite.service.url, 'GET', `${keyPath(id)}/propagation`, { key: suite.alice.key });
      expect(reply.status).toBe(200);
      return reply.body.data;
    };
    const ours = (data: any) => data.verifiers.filter((v: any) => [stayingId, stoppingId].includes(v.instance));
    let data: any;
    await waitUntil(
      async () => ours((data = await propagation())).length === 2 && data.all_applied,
      15_000,
      'both verifiers heard, the key applied by both',
    );
    expect(data.position).toBe(created.headers.get('x-state-position'));

    await stopping.close();
    running.splice(running.indexOf(stopping), 1);
    const deleted = await write('DELETE', keyPath(id));
    const position = deleted.headers.get('x-state-position')!;
    const offset = Number(position.split(':')[1]);
    // The staying verifier applies the delete and says so at its next heartbeat.
    await waitUntil(
      async () => {
        data = await propagation();
        const staying = ours(data).find((v: any) => v.instance === stayingId);
        return staying !== undefined && Number(staying.applied.split(':')[1]) >= offset;
      },
      10_000,
      'the staying verifier has applied the delete',
    );
    expect(data.position).toBe(position);
    const stopped = ours(data).find((v: any) => v.instance === stoppingId);
    expect(stopped).toBeDefined();
    expect(Number(stopped.applied.split(':')[1])).toBeLessThan(offset);
    expect(Date.parse(stopped.last_seen)).toBeLessThan(Date.now());
    expect(data.all_applied).toBe(false);
  });

  it('answers 404 for another user’s key, as for a key that does not exist', async () => {
    for (const id of [suite.bob.keyId, 999_999]) {
      const reply = await call(suite.service.url, 'GET', `${keyPath(id)}/propagation`, { key: suite.alice.key });
      expect([id, reply.status]).toEqual([id, 404]);
    }
    const own = await call(suite.service.url, 'GET', `${keyPath(suite.bob.keyId)}/propagation`, { key: suite.bob.key });
    expect(own.status).toBe(200);
  });
});
