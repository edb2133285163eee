import { KeyUsage, MAX_KEYS_PER_USAGE_RECORD, WireRecord, decodeUsage } from '@app/contracts';
import { UsagePublisher } from './usage-publisher';

const usagesOf = (records: readonly WireRecord[]): KeyUsage[] => records.flatMap((r) => decodeUsage(r.value, r.key));
/** The test's partitioning: two partitions, odd and even ids. */
const parity = (keyId: number) => keyId % 2;

describe('UsagePublisher', () => {
  let now: number;
  /** Each send's records. */
  let sent: WireRecord[][];
  let failing: boolean;
  /** Sends that succeed before `failing` takes effect (Infinity: all of them). */
  let sendsBeforeFailure: number;
  let topicKnown: boolean;
  const warnings: string[] = [];
  const publisher = () =>
    new UsagePublisher({
      source: 'verifier',
      instance: 'i-1',
      flushMs: 10_000,
      schemaBase: 'http://127.0.0.1:3000/schemas/',
      clock: () => now,
      log: { warn: (message) => warnings.push(message) },
      partitionOf: () => (topicKnown ? Promise.resolve(parity) : Promise.reject(new Error('no usage topic yet'))),
      send: (records) => {
        if (failing || sendsBeforeFailure-- <= 0) return Promise.reject(new Error('broker away'));
        sent.push([...records]);
        return Promise.resolve();
      },
    });
  beforeEach(() => {
    now = Date.parse('2024-01-15T11:00:00.000Z');
    sent = [];
    failing = false;
    sendsBeforeFailure = Infinity;
    topicKnown = true;
    warnings.length = 0;
  });

  it('publishes the keys used since the last flush, a record per partition, with the window and the next sequence', async () => {
    const usage = publisher();
    usage.count(7, 'VALID', 'current', now + 100);
    usage.count(7, 'VALID', 'previous', now + 200);
    usage.count(9, 'EXPIRED', 'current', now + 300);
    usage.count(8, 'DISABLED', 'current', now + 400);
    now += 10_000;
    expect(await usage.flush()).toBe(true);
    // Partition 0 (key 8), then partition 1 (keys 7 and 9), each record keyed by its first key.
    expect(sent.flat().map((r) => r.key)).toEqual(['8', '7']);
    expect(sent.flat().map((r) => usagesOf([r]).map((u) => u.api_key_id))).toEqual([[8], [7, 9]]);
    expect(usagesOf(sent.flat())[1]).toEqual({
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
    expect(sent.flat()[1].headers.ce_id).toBe('i-1:1:7');
    usage.count(9, 'VALID', 'current', now + 1);
    now += 10_000;
    await usage.flush();
    expect(usagesOf(sent[2])).toMatchObject([{ api_key_id: 9, sequence: 2, window_start: '2024-01-15T11:00:10.000Z' }]);
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
    // The first flush's counts, unchanged (same instance and sequence), then the later uses alone.
    expect(usagesOf(sent.flat()).map((u) => [u.sequence, u.verifications.VALID])).toEqual([
      [1, { current: 1, previous: 0 }],
      [2, { current: 1, previous: 0 }],
    ]);
  });

  it('keeps a flush while the topic is not known, and sends it once it is', async () => {
    const usage = publisher();
    usage.count(7, 'VALID', 'current', now);
    topicKnown = false;
    expect(await usage.flush()).toBe(false);
    expect(warnings).toHaveLength(1);
    topicKnown = true;
    expect(await usage.flush()).toBe(true);
    expect(usagesOf(sent.flat())).toMatchObject([{ api_key_id: 7, sequence: 1 }]);
  });

  it('sends a big flush a record at a time, and after a failure resumes at the record not acknowledged', async () => {
    const usage = publisher();
    // 2 x 500 + 7 odd keys (one partition: three records) and one even key.
    const odd = Array.from({ length: 2 * MAX_KEYS_PER_USAGE_RECORD + 7 }, (_, i) => 2 * i + 1);
    for (const id of [...odd, 2]) usage.count(id, 'VALID', 'current', now + id);
    sendsBeforeFailure = 2;
    expect(await usage.flush()).toBe(false);
    expect(sent.map((records) => usagesOf(records).length)).toEqual([1, MAX_KEYS_PER_USAGE_RECORD]);
    usage.count(1, 'EXPIRED', 'current', now + 5000);
    sendsBeforeFailure = Infinity;
    expect(await usage.flush()).toBe(true);
    // The rest of the first flush, from its third record, then the second flush (sequence 2).
    expect(sent.map((records) => usagesOf(records).length)).toEqual([
      1,
      MAX_KEYS_PER_USAGE_RECORD,
      MAX_KEYS_PER_USAGE_RECORD,
      7,
      1,
    ]);
    const usages = usagesOf(sent.flat());
    expect(usages.map((u) => u.api_key_id)).toEqual([2, ...odd, 1]);
    expect(usages.slice(0, -1).every((u) => u.sequence === 1)).toBe(true);
    expect(usages.at(-1)).toMatchObject({ sequence: 2, verifications: { EXPIRED: { current: 1, previous: 0 } } });
  });

  it('publishes what is left when stopped', async () => {
    const usage = publisher();
    usage.start();
    usage.count(7, 'DISABLED', 'current', now);
    expect(await usage.stop()).toBe(true);
    expect(usagesOf(sent.flat())).toMatchObject([{ api_key_id: 7, verifications: { DISABLED: { current: 1 } } }]);
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
