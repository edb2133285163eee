import { createLogger, formatDuration } from './log';

describe('durations', () => {
  it.each([
    [250, '250 ms'],
    [1234, '1.2 s'],
    [59_949, '59.9 s'],
    [67_000, '1 min 7 s'],
  ])('prints %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('logger', () => {
  it('prefixes every line with its name', () => {
    const out: string[] = [];
    createLogger('stack', { write: (t) => out.push(t) })
      .child('kafka')
      .info('ready');

    expect(out).toEqual(['[stack:kafka] ready\n']);
  });

  it('holds lines back until flushed, then prints them in order', () => {
    const out: string[] = [];
    const log = createLogger('stack', { write: (t) => out.push(t) });
    log.hold();
    log.info('one');
    log.info('two');
    expect(out).toEqual([]);

    log.flush();
    log.info('three');
    expect(out).toEqual(['[stack] one\n', '[stack] two\n', '[stack] three\n']);
  });
});
