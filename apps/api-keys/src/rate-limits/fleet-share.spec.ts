import { FleetMembership, FleetShare, FleetUsageDocument, FleetUsageStore } from './fleet-share';
import { TokenBuckets } from '@app/access';

const WINDOW = 60_000;
const SYNC_MS = 250;
const LIMIT = 60;

/** The store as FerretDB keeps it: documents by `_id`, copied in and out; `down` makes every call fail. */
class MemoryStore implements FleetUsageStore {
  readonly docs = new Map<string, string>();
  down = false;
  publish(doc: FleetUsageDocument): Promise<void> {
    if (this.down) return Promise.reject(new Error('store unreachable'));
    this.docs.set(doc._id, JSON.stringify(doc));
    return Promise.resolve();
  }
  read(id: string): Promise<FleetUsageDocument | null> {
    if (this.down) return Promise.reject(new Error('store unreachable'));
    const text = this.docs.get(id);
    return Promise.resolve(text ? (JSON.parse(text) as FleetUsageDocument) : null);
  }
  remove(id: string): Promise<void> {
    this.docs.delete(id);
    return Promise.resolve();
  }
}

describe('FleetShare', () => {
  let now = 0;
  let store: MemoryStore;
  let members: string[];

  /** One instance of the service: its buckets and its share, as RateLimits wires them. */
  function instance(id: string) {
    const buckets = new TokenBuckets(LIMIT, WINDOW, 1000, () => now);
    const membership: FleetMembership = {
      members: () => Promise.resolve(members.includes(id) ? { self: id, members } : null),
    };
    const share = new FleetShare(
      store,
      membership,
      (caller, n) => buckets.charge(caller, n),
      SYNC_MS,
      () => now,
    );
    /** A request: 'admitted', 'refused' (no token), or 'wait' (over the unseen share until a sync). */
    const request = (caller = 'key:1') => {
      if (!buckets.peek(caller).allowed) return 'refused';
      if (!share.mayAdmit(caller, LIMIT)) return 'wait';
      buckets.take(caller);
      share.admitted(caller);
      return 'admitted';
    };
    return { id, buckets, share, request };
  }
  type Instance = ReturnType<typeof instance>;

  const syncAll = async (instances: Instance[]) => {
    for (const i of instances) await i.share.sync();
  };

  /**
   * A client sending `count` requests, one every `gapMs`, to `route(n)`; the instances sync every
   * SYNC_MS; a request over the share waits for the next sync, as the guard does.
   */
  async function stream(instances: Instance[], route: (n: number) => Instance, count: number, gapMs: number) {
    let admitted = 0;
    let nextSync = now + SYNC_MS;
    const start = now;
    for (let n = 0; n < count; n++) {
      for (;;) {
        while (now >= nextSync) {
          await syncAll(instances);
          nextSync += SYNC_MS;
        }
        const outcome = route(n).request();
        if (outcome !== 'wait') {
          if (outcome === 'admitted') admitted += 1;
          break;
        }
        now = nextSync; // waits for the sync
      }
      now += gapMs;
    }
    return { admitted, elapsed: now - start };
  }

  beforeEach(async () => {
    now = 1_000_000;
    store = new MemoryStore();
    members = ['a', 'b'];
  });

  async function pair() {
    const fleet = [instance('a'), instance('b')];
    await syncAll(fleet);
    await syncAll(fleet);
    return fleet;
  }

  it.each([1, 5, 20])(
    'admits at most 1.2× the budget (plus its refill) to alternating requests on two instances, %i ms apart',
    async (gapMs) => {
      const fleet = await pair();
      const { admitted, elapsed } = await stream(fleet, (n) => fleet[n % 2], 400, gapMs);
      expect(admitted).toBeLessThanOrEqual(1.2 * (LIMIT + (LIMIT * elapsed) / WINDOW));
      expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    },
  );

  it.each([1, 20])(
    'gives a caller stuck to one instance its whole budget, the other instance idle (%i ms apart)',
    async (gapMs) => {
      const fleet = await pair();
      const { admitted, elapsed } = await stream(fleet, () => fleet[0], 200, gapMs);
      expect(admitted).toBeGreaterThanOrEqual(0.8 * LIMIT);
      expect(admitted).toBeLessThanOrEqual(LIMIT + (LIMIT * elapsed) / WINDOW);
    },
  );

  it('charges another instance’s admissions to this one’s bucket at the next sync', async () => {
    const [a, b] = await pair();
    for (let i = 0; i < 10; i++) expect(a.request()).toBe('admitted');
    expect(b.buckets.peek('key:1').remaining).toBe(LIMIT);
    await syncAll([a, b]);
    expect(b.buckets.peek('key:1').remaining).toBe(LIMIT - 10);
    await syncAll([a, b]);
    expect(b.buckets.peek('key:1').remaining).toBe(LIMIT - 10); // charged once
  });

  it('lets an instance admit only its share of the budget before its peers have charged it', async () => {
    const [a, b] = await pair();
    for (let i = 0; i < 12; i++) expect(a.request()).toBe('admitted');
    expect(a.request()).toBe('wait');
    await a.share.sync(); // published, not yet charged by b
    expect(a.request()).toBe('wait');
    await b.share.sync(); // b charged it and says so
    await a.share.sync();
    expect(a.request()).toBe('admitted');
  });

  it('limits each instance by its own bucket while the store is unreachable: never unlimited', async () => {
    const [a, b] = await pair();
    store.down = true;
    now += 5 * SYNC_MS;
    await syncAll([a, b]);
    expect(a.share.shared).toBe(false);
    const outcomes = Array.from({ length: 100 }, () => a.request());
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(LIMIT);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(100 - LIMIT);
    store.down = false;
    await syncAll([a, b]);
    await syncAll([a, b]);
    expect(a.share.shared).toBe(true);
    expect(b.buckets.peek('key:1').remaining).toBe(0); // b learns what a admitted meanwhile
  });

  it('charges a newcomer’s recent admissions at first sight, and stops waiting for an instance that left', async () => {
    const [a, b] = await pair();
    members = ['a', 'b', 'c'];
    const c = instance('c');
    await c.share.sync();
    for (let i = 0; i < 6; i++) expect(c.request()).toBe('admitted');
    await syncAll([c, a, b]);
    expect(a.buckets.peek('key:1').remaining).toBe(LIMIT - 6);
    // With three instances each may have 0.2·60/2 = 6 requests unseen.
    for (let i = 0; i < 6; i++) expect(a.request()).toBe('admitted');
    expect(a.request()).toBe('wait');
    // c and b leave the group: a waits for nobody, and is alone.
    members = ['a'];
    await a.share.sync();
    expect(a.request()).toBe('admitted');
    expect(b.share.shared).toBe(true); // b has not synced since, but it does not matter to a
  });

  it('writes nothing while the fleet is idle', async () => {
    const fleet = await pair();
    const writes = jest.spyOn(store, 'publish');
    await syncAll(fleet);
    await syncAll(fleet);
    expect(writes).not.toHaveBeenCalled();
  });
});
