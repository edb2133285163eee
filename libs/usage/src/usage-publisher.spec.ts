import { WireRecord, decodeUsage } from '@app/contracts';
import { UsagePublisher } from './usage-publisher';

const values = (records: readonly WireRecord[]) => records.map((r) => decodeUsage(r.value, r.key));

describe('UsagePublisher', () => {
  let now: number;
  let sent: WireRecord[][];
  let failing: boolean;
  const warnings: string[] = [];
  const publisher = () =>
    new UsagePublisher({
      source: 'verifier',
      instance: 'i-1',
      flushMs: 10_000,
      schemaBase: 'http://127.0.0.1:3000/schemas/',
      clock: () => now,
      log: { warn: (message) => warnings.push(message) },
      send: (records) => {
        if (failing) return Promise.reject(new Error('broker away'));
        sent.push([...records]);
        return Promise.resolve();
      },
    });
  beforeEach(() => {
    now = Date.parse('2024-01-15T11:00:00.000Z');
    sent = [];
    failing = false;
    warnings.length = 0;
  });

  it('publishes one record per key used since the last flush, with the window and the next sequence', async () => {
    const usage = publisher();
    usage.count(7, 'VALID', 'current', now + 100);
    usage.count(7, 'VALID', 'previous', now + 200);
    usage.count(9, 'EXPIRED', 'current', now + 300);
    now += 10_000;
    expect(await usage.flush()).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0].map((r) => r.key)).toEqual(['7', '9']);
    expect(values(sent[0])[0]).toEqual({
      api_key_id: 7,
      source: 'verifier',
      instance: 'i-1',
      sequence: 1,
      window_start: '2024-01-15T11:00:00.000Z',
      window_end: '2024-01-15T11:00:10.000Z',
      last_used_at: '2024-01-15T11:00:00.200Z',
      previous_last_used_at: '2024-01-15T11:00:00.200Z',
      verifications: { VALID: { current: 1, previous: 1 } },
    });
    expect(sent[0][0].headers.ce_id).toBe('i-1:1:7');
    usage.count(9, 'VALID', 'current', now + 1);
    now += 10_000;
    await usage.flush();
    expect(values(sent[1])).toMatchObject([{ api_key_id: 9, sequence: 2, window_start: '2024-01-15T11:00:10.000Z' }]);
  });

  it('sends nothing when nothing was used', async () => {
    const usage = publisher();
    expect(await usage.flush()).toBe(true);
    expect(sent).toEqual([]);
  });

  it('sends a failed flush again as it was, before the uses counted since, which follow with the next sequence', async () => {
    const usage = publisher();
    usage.count(7, 'VALID', 'current', now);
    failing = true;
    expect(await usage.flush()).toBe(false);
    expect(warnings).toHaveLength(1);
    usage.count(7, 'VALID', 'current', now + 5);
    expect(await usage.flush()).toBe(false);
    failing = false;
    expect(await usage.flush()).toBe(true);
    // The first flush's record, unchanged (same instance and sequence), then the later uses alone.
    expect(values(sent.flat()).map((u) => [u.sequence, u.verifications.VALID])).toEqual([
      [1, { current: 1, previous: 0 }],
      [2, { current: 1, previous: 0 }],
    ]);
  });

  it('publishes what is left when stopped', async () => {
    const usage = publisher();
    usage.start();
    usage.count(7, 'DISABLED', 'current', now);
    expect(await usage.stop()).toBe(true);
    expect(values(sent.flat())).toMatchObject([{ api_key_id: 7, verifications: { DISABLED: { current: 1 } } }]);
  });

  it('runs one flush at a time', async () => {
    const usage = publisher();
    usage.count(7, 'VALID', 'current', now);
    const [a, b] = [usage.flush(), usage.flush()];
    expect(a).toBe(b);
    await a;
    expect(sent).toHaveLength(1);
  });
});
