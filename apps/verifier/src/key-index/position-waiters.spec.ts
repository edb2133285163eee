import { PositionWaiters } from './position-waiters';

describe('PositionWaiters, requests waiting for a state-topic position', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = (max = 10) => {
    const applied = new Map<number, number>();
    const waiters = new PositionWaiters(max, (p) => applied.get(p) ?? -1);
    return { applied, waiters };
  };

  it('answers at once for a position already applied, and wakes a wait when its partition reaches it', async () => {
    const { applied, waiters } = setup();
    applied.set(1, 7);
    await expect(waiters.wait(1, 7, 1000)).resolves.toBe('reached');
    const waiting = waiters.wait(1, 9, 1000);
    applied.set(1, 8);
    waiters.applied(1);
    applied.set(0, 9);
    waiters.applied(0);
    expect(waiters.size).toBe(1);
    applied.set(1, 9);
    waiters.applied(1);
    await expect(waiting).resolves.toBe('reached');
    expect(waiters.size).toBe(0);
  });

  it('gives up at the timeout', async () => {
    const { waiters } = setup();
    const waiting = waiters.wait(0, 5, 300);
    await jest.advanceTimersByTimeAsync(299);
    expect(waiters.size).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(waiting).resolves.toBe('timeout');
  });

  it('lets only so many wait at once, and ends every wait at shutdown', async () => {
    const { waiters } = setup(2);
    const first = waiters.wait(0, 5, 1000);
    const second = waiters.wait(1, 5, 1000);
    await expect(waiters.wait(2, 5, 1000)).resolves.toBe('full');
    waiters.clear();
    await expect(Promise.all([first, second])).resolves.toEqual(['timeout', 'timeout']);
  });
});
