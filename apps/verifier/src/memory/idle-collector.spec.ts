import { IdleCollector } from './idle-collector';

describe('IdleCollector', () => {
  const collector = () => {
    const idle = new IdleCollector();
    const runs: number[] = [];
    let check = 0;
    idle.collect = () => runs.push(check);
    return {
      idle,
      runs,
      check: () => {
        check += 1;
        idle.check();
      },
    };
  };

  it('collects once, at the first quiet interval after a busy one', () => {
    const { idle, runs, check } = collector();
    idle.activity();
    check(); // busy
    idle.activity();
    check(); // busy
    check(); // quiet: collects
    check(); // still quiet: nothing more
    check();
    expect(runs).toEqual([3]);
  });

  it('never collects while traffic goes on, nor when the instance was never busy', () => {
    const { idle, runs, check } = collector();
    check();
    check();
    for (let i = 0; i < 5; i++) {
      idle.activity();
      check();
    }
    expect(runs).toEqual([]);
    check();
    expect(runs).toEqual([8]);
  });
});
