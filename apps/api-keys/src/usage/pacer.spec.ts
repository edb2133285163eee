import { Pacer } from './pacer';

describe('Pacer', () => {
  it('runs one piece at a time, resting three times as long as each took, at most the cap', async () => {
    let now = 0;
    const log: string[] = [];
    const pacer = new Pacer(
      3,
      500,
      (ms) => {
        log.push(`rest ${ms}`);
        now += ms;
        return Promise.resolve();
      },
      () => now,
    );
    const piece = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await Promise.resolve();
      now += ms;
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([pacer.run(piece('a', 100)), pacer.run(piece('b', 400))]);
    expect(results).toEqual(['a', 'b']);
    expect(log).toEqual(['start a', 'end a', 'rest 300', 'start b', 'end b', 'rest 500']);
  });

  it('rests after a failure too, and goes on with the next piece', async () => {
    const rests: number[] = [];
    let now = 0;
    const pacer = new Pacer(
      3,
      1000,
      (ms) => {
        rests.push(ms);
        return Promise.resolve();
      },
      () => now,
    );
    const failing = pacer.run(() => {
      now += 10;
      return Promise.reject(new Error('store away'));
    });
    await expect(failing).rejects.toThrow('store away');
    await expect(pacer.run(() => Promise.resolve('next'))).resolves.toBe('next');
    expect(rests).toEqual([30, 0]);
  });
});
