import { ProjectionProgress } from './projection-progress';
import { nextMarks } from './state-marks';

const at = (partition: number, offset: number) => ({ topic: 't', partition, offset });

describe('ProjectionProgress', () => {
  it('answers at once when the position is already applied', async () => {
    const progress = new ProjectionProgress(async () => ({ offset: -1 }));
    progress.setOwned('t', [0]);
    progress.markApplied('t', 0, 5);
    await expect(progress.waitFor(at(0, 5), 1000)).resolves.toBe(true);
  });

  it('wakes a waiter as soon as the local projector applies its offset, without polling', async () => {
    const reads: number[] = [];
    const progress = new ProjectionProgress(async (_t, p) => {
      reads.push(p);
      return { offset: -1 };
    });
    progress.setOwned('t', [1]);
    const waiting = progress.waitFor(at(1, 7), 5000);
    progress.markApplied('t', 1, 6);
    progress.markApplied('t', 1, 7);
    await expect(waiting).resolves.toBe(true);
    expect(reads).toEqual([]);
  });

  it('does not wake a waiter for an earlier offset or another partition', async () => {
    const progress = new ProjectionProgress(async () => ({ offset: -1 }));
    progress.setOwned('t', [0, 1]);
    const waiting = progress.waitFor(at(0, 3), 50);
    progress.markApplied('t', 0, 2);
    progress.markApplied('t', 1, 9);
    await expect(waiting).resolves.toBe(false);
  });

  it('never reads the checkpoint for a partition this process projects, however long it waits', async () => {
    let reads = 0;
    const progress = new ProjectionProgress(async () => {
      reads++;
      return { offset: 10 };
    });
    progress.setOwned('t', [0]);
    await expect(progress.waitFor(at(0, 1), 300)).resolves.toBe(false);
    expect(reads).toBe(0);
  });

  it('starts polling the checkpoint when a rebalance moves the partition away mid-wait', async () => {
    const progress = new ProjectionProgress(async () => ({ offset: 5 }));
    progress.setOwned('t', [0]);
    const waiting = progress.waitFor(at(0, 5), 5000);
    progress.setOwned('t', []);
    await expect(waiting).resolves.toBe(true);
  });

  it('polls the shared checkpoint when another instance owns the partition', async () => {
    let checkpoint = -1;
    const progress = new ProjectionProgress(async () => ({ offset: checkpoint }));
    progress.setOwned('t', []);
    const waiting = progress.waitFor(at(2, 4), 5000);
    setTimeout(() => (checkpoint = 4), 30);
    await expect(waiting).resolves.toBe(true);
  });

  it('gives up at the deadline and says so, when the store keeps failing', async () => {
    const progress = new ProjectionProgress(async () => {
      throw new Error('down');
    });
    await expect(progress.waitFor(at(0, 1), 60)).resolves.toBe(false);
  });

  it('gives the state offset of the batch that applied an event, once applied, locally or from the checkpoint', async () => {
    const marks = nextMarks(nextMarks([], 4, 1, [{ partition: 0, offset: 20 }]), 9, 2, [{ partition: 0, offset: 25 }]);
    const local = new ProjectionProgress(async () => ({ offset: -1 }));
    local.setOwned('t', [0]);
    expect(local.stateOffsetAt(at(0, 7), 0)).toBeNull();
    local.markApplied('t', 0, 9, marks);
    expect(local.stateOffsetAt(at(0, 3), 0)).toBe(20);
    expect(local.stateOffsetAt(at(0, 7), 0)).toBe(25);
    expect(local.stateOffsetAt(at(0, 10), 0)).toBeNull();

    const remote = new ProjectionProgress(async () => ({ offset: 9, marks }));
    remote.setOwned('t', []);
    await expect(remote.waitFor(at(0, 7), 1000)).resolves.toBe(true);
    expect(remote.stateOffsetAt(at(0, 7), 0)).toBe(25);
  });
});
